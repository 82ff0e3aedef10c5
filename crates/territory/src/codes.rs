//! Validation of official codes. Errors from importers and the API name the
//! code and what shape was expected, so these return `bool` and the caller
//! words the message.

/// INSEE commune code: two-character département (2A/2B for Corsica) then
/// three digits; overseas codes (97x, 98x) fit the same pattern.
pub fn is_commune_code(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() != 5 || !b[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    match (b[0], b[1]) {
        (b'2', b'A' | b'B') => true,
        (b'2', d) => d.is_ascii_digit() && d != b'0',
        (a, d) => matches!(a, b'0' | b'1' | b'3'..=b'9') && d.is_ascii_digit(),
    }
}

/// Département (or collectivité d'outre-mer) code: `01`…`95`, `2A`, `2B`, `971`…`989`.
pub fn is_departement_code(code: &str) -> bool {
    match code.len() {
        2 => code == "2A" || code == "2B" || code.bytes().all(|b| b.is_ascii_digit()),
        3 => code.starts_with('9') && code.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

/// Région code: two digits, or a collectivité d'outre-mer's three digits.
pub fn is_region_code(code: &str) -> bool {
    (code.len() == 2 || code.len() == 3) && code.bytes().all(|b| b.is_ascii_digit())
}

/// SIREN of an EPCI: nine digits.
pub fn is_siren(code: &str) -> bool {
    code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit())
}

/// French postcode: five digits.
pub fn is_postcode(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The département a commune code belongs to: the first three characters
/// overseas (97x, 98x), the first two elsewhere.
pub fn departement_of_commune(code: &str) -> &str {
    if code.starts_with("97") || code.starts_with("98") {
        &code[..3.min(code.len())]
    } else {
        &code[..2.min(code.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commune_codes() {
        for ok in ["29232", "2A004", "2B033", "97101", "98735", "01001"] {
            assert!(is_commune_code(ok), "{ok}");
        }
        for bad in [
            "2C004", "20004", "2923", "292321", "29 32", "A9232", "", "29232\n",
        ] {
            assert!(!is_commune_code(bad), "{bad}");
        }
    }

    #[test]
    fn departement_of_commune_handles_overseas_and_corsica() {
        assert_eq!(departement_of_commune("29232"), "29");
        assert_eq!(departement_of_commune("2A004"), "2A");
        assert_eq!(departement_of_commune("97411"), "974");
        assert_eq!(departement_of_commune("98818"), "988");
    }

    #[test]
    fn other_codes() {
        assert!(
            is_departement_code("29") && is_departement_code("2B") && is_departement_code("974")
        );
        assert!(
            !is_departement_code("2C") && !is_departement_code("874") && !is_departement_code("1")
        );
        assert!(is_siren("200067460") && !is_siren("20006746") && !is_siren("20006746X"));
        assert!(is_postcode("29000") && !is_postcode("2900") && !is_postcode("29 00"));
        assert!(is_region_code("53") && is_region_code("975") && !is_region_code("5"));
    }
}

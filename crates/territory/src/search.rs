//! Name normalisation for accent- and case-insensitive prefix search.
//!
//! A commune is indexed under one key per word start of its normalised name
//! ("saint malo" and "malo"), so "plou" finds Plouzané and "malo" finds
//! Saint-Malo, while the storage only needs an ordinary B-tree range scan on
//! ASCII keys (identical on SQLite and PostgreSQL with the "C" collation).

/// Lower-case ASCII key of a name: accents folded, ligatures expanded, every
/// other non-alphanumeric character (hyphen, apostrophe…) turned into a single
/// space. The result only holds `[a-z0-9 ]`, which the range scan relies on.
pub fn search_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                push_word_char(&mut out, &mut pending_space, c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'į' | 'ı' => "i",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ž' | 'ź' | 'ż' => "z",
            'š' | 'ś' => "s",
            'œ' => "oe",
            'æ' => "ae",
            'ß' => "ss",
            _ => {
                pending_space = !out.is_empty();
                continue;
            }
        };
        for f in folded.chars() {
            push_word_char(&mut out, &mut pending_space, f);
        }
    }
    out
}

fn push_word_char(out: &mut String, pending_space: &mut bool, c: char) {
    if *pending_space {
        out.push(' ');
        *pending_space = false;
    }
    out.push(c);
}

/// The keys a name is indexed under: the whole key, then the key starting at
/// each later word. Position 0 is the whole name (ranked first in results).
pub fn index_keys(name: &str) -> Vec<String> {
    let key = search_key(name);
    let mut keys = vec![key.clone()];
    keys.extend(
        key.match_indices(' ')
            .map(|(i, _)| key[i + 1..].to_string())
            .filter(|k| !k.is_empty()),
    );
    keys.dedup();
    keys
}

/// The key of what a person typed. People write "St Malo" or "Ste-Anne" for
/// Saint-Malo and Sainte-Anne-d'Auray, so those abbreviations are expanded.
pub fn query_key(query: &str) -> String {
    let key = search_key(query);
    key.split(' ')
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Exclusive upper bound of the range of keys starting with `prefix`:
/// keys only hold `[a-z0-9 ]`, all below `~`.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(search_key("Plouzané"), "plouzane");
        assert_eq!(search_key("Ploërmel"), "ploermel");
        assert_eq!(
            search_key("L'Abergement-Clémenciat"),
            "l abergement clemenciat"
        );
        assert_eq!(search_key("  Saint-Brieuc  "), "saint brieuc");
        assert_eq!(search_key("Œuilly"), "oeuilly");
        assert_eq!(search_key("Île-de-Bréhat"), "ile de brehat");
        assert_eq!(search_key("LA ROCHE-SUR-YON"), "la roche sur yon");
        assert_eq!(search_key("Marseille 1er"), "marseille 1er");
        assert_eq!(search_key("—"), "");
    }

    #[test]
    fn keys_only_hold_the_range_alphabet() {
        let key = search_key("Ça, c'est « Ÿ » ou ǅ? ŒUVRE ½ 東京");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '),
            "{key}"
        );
        assert!(!key.starts_with(' ') && !key.ends_with(' ') && !key.contains("  "));
    }

    #[test]
    fn index_keys_start_at_every_word() {
        assert_eq!(index_keys("Saint-Malo"), vec!["saint malo", "malo"]);
        assert_eq!(index_keys("Quimper"), vec!["quimper"]);
        assert_eq!(
            index_keys("Le Relecq-Kerhuon"),
            vec!["le relecq kerhuon", "relecq kerhuon", "kerhuon"]
        );
    }

    #[test]
    fn query_expands_saint_abbreviations() {
        assert_eq!(query_key("St-Malo"), "saint malo");
        assert_eq!(query_key("ste anne"), "sainte anne");
        assert_eq!(query_key("Stival"), "stival");
    }

    #[test]
    fn upper_bound_is_above_every_key_with_the_prefix() {
        let ub = prefix_upper_bound("plou");
        for k in ["plou", "plouzane", "plou zz", "plou999"] {
            assert!(k >= "plou" && k < ub.as_str(), "{k}");
        }
        assert!("plov" >= ub.as_str());
    }
}

//! A commune picked by its name in a form. People type "Quimper" or choose
//! "Quimper (Finistère)" among the names `web/src/communes.js` proposes
//! from the territories API; the server resolves what was typed against
//! the loaded reference, so the form works without JavaScript too, and an
//! INSEE code still works for those who know it.

use crate::AppState;
use crate::error::PageError;

/// The INSEE code of the commune typed: a code as it is (the store checks
/// it exists), a name ("Quimper", "Quimper (Finistère)", "Quimper (29)")
/// when exactly one commune has it; otherwise the problem.
pub async fn resolve(
    state: &AppState,
    typed: &str,
) -> Result<Result<Option<String>, String>, PageError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(Ok(None));
    }
    // "2a004" is Ajaccio's code; "Brest" has five letters too but is a name.
    let upper = typed.to_uppercase();
    if passerelle_territory::codes::is_commune_code(&upper) {
        return Ok(Ok(Some(upper)));
    }
    let (name, within) = match typed.strip_suffix(')').and_then(|t| t.rsplit_once(" (")) {
        Some((name, within)) => (name.trim(), Some(within.trim())),
        None => (typed, None),
    };
    let key = passerelle_territory::search::search_key(name);
    let found: Vec<_> = state
        .db
        .search_communes(name, 50)
        .await?
        .into_iter()
        .filter(|c| passerelle_territory::search::search_key(&c.nom) == key)
        .filter(|c| {
            within.is_none_or(|w| {
                c.departement.code == w
                    || passerelle_territory::search::search_key(&c.departement.nom)
                        == passerelle_territory::search::search_key(w)
            })
        })
        .collect();
    Ok(match found.as_slice() {
        [one] => Ok(Some(one.code.clone())),
        [] => Err(format!(
            "Aucune commune ne s’appelle « {typed} » : vérifiez l’orthographe."
        )),
        several => Err(format!(
            "Plusieurs communes s’appellent « {name} » : précisez le département, par exemple « {} ({}) ».",
            several[0].nom, several[0].departement.nom
        )),
    })
}

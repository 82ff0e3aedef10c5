//! Networks: named groups of professionals ("Médiathèques du Finistère",
//! "Réemploi Ordi Grand Ouest", "Information jeunesse") with their
//! animators. One joins an open network at once; a network on request
//! waits for an animator to accept.

use crate::check::Checks;
use crate::vocab::{Joining, NetworkRole};
use crate::{Problem, Rule};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    pub description: Option<String>,
    pub joining: Joining,
}

#[derive(Debug, Clone, Default)]
pub struct NetworkDraft {
    pub name: String,
    pub description: String,
    pub joining: String,
}

impl TryFrom<NetworkDraft> for Network {
    type Error = Vec<Problem>;

    fn try_from(d: NetworkDraft) -> Result<Self, Self::Error> {
        let mut c = Checks::default();
        let name = c.text("nom", &d.name, 120);
        let description = c.optional("description", &d.description, 1000);
        let joining = Joining::parse(&d.joining).unwrap_or_else(|| {
            c.add("adhesion", Rule::NotInList);
            Joining::OnRequest
        });
        c.done(Network {
            name,
            description,
            joining,
        })
    }
}

/// Where one stands after asking to join.
pub fn on_joining(joining: Joining) -> NetworkRole {
    match joining {
        Joining::Open => NetworkRole::Member,
        Joining::OnRequest => NetworkRole::Requested,
    }
}

/// Whether this role makes one a member (animators are members too).
pub fn is_member(role: NetworkRole) -> bool {
    matches!(role, NetworkRole::Member | NetworkRole::Animator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joining_an_open_network_is_immediate() {
        assert_eq!(on_joining(Joining::Open), NetworkRole::Member);
        assert_eq!(on_joining(Joining::OnRequest), NetworkRole::Requested);
        assert!(!is_member(NetworkRole::Requested));
        assert!(is_member(NetworkRole::Animator));
    }

    #[test]
    fn a_network_has_a_name_and_a_way_to_join() {
        let n = Network::try_from(NetworkDraft {
            name: "Médiathèques du Finistère".into(),
            description: String::new(),
            joining: "ouvert".into(),
        })
        .unwrap();
        assert_eq!(n.joining, Joining::Open);
        let problems = Network::try_from(NetworkDraft::default()).unwrap_err();
        assert_eq!(
            problems,
            vec![
                Problem::new("nom", Rule::Missing),
                Problem::new("adhesion", Rule::NotInList)
            ]
        );
    }
}

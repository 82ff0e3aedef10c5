//! The closed vocabularies of Comptes, with their stored codes and French
//! labels.

use serde::{Deserialize, Serialize};

/// A person's role in a structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Administers the whole instance.
    Admin,
    /// Sees aggregates and data quality on the territories of their scope;
    /// never the personal data of referrals.
    Coordinateur,
    /// Manages the members and places of their structure.
    Gestionnaire,
    /// Mediator, social worker, reception agent: records activities, sends
    /// and receives referrals.
    Membre,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Coordinateur,
        Role::Gestionnaire,
        Role::Membre,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Coordinateur => "coordinateur",
            Self::Gestionnaire => "gestionnaire",
            Self::Membre => "membre",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Administrateur de l’instance",
            Self::Coordinateur => "Coordinateur",
            Self::Gestionnaire => "Gestionnaire de la structure",
            Self::Membre => "Membre",
        }
    }
}

/// The territorial level of a coordinator's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeLevel {
    Region,
    Departement,
    Epci,
    Commune,
}

impl ScopeLevel {
    pub const ALL: [ScopeLevel; 4] = [Self::Region, Self::Departement, Self::Epci, Self::Commune];

    pub fn code(self) -> &'static str {
        match self {
            Self::Region => "region",
            Self::Departement => "departement",
            Self::Epci => "epci",
            Self::Commune => "commune",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Region => "Région",
            Self::Departement => "Département",
            Self::Epci => "Intercommunalité",
            Self::Commune => "Commune",
        }
    }
}

macro_rules! structure_kinds {
    ($($variant:ident => $code:literal, $label:literal;)*) => {
        /// The kind of an organisation that employs or hosts professionals.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum StructureKind { $($variant),* }

        impl StructureKind {
            pub const ALL: &'static [StructureKind] = &[$(Self::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),* }
            }

            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),* }
            }

            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.code() == code)
            }
        }
    };
}

structure_kinds! {
    Ccas => "ccas", "CCAS / CIAS";
    Departement => "departement", "Conseil départemental (CDAS, agence)";
    CentreSocial => "centre_social", "Centre social";
    Mediatheque => "mediatheque", "Médiathèque, bibliothèque";
    Mairie => "mairie", "Mairie";
    Epci => "epci", "Intercommunalité (EPCI)";
    FranceServices => "france_services", "Espace France services";
    Association => "association", "Association";
    Pimms => "pimms", "PIMMS";
    Caf => "caf", "CAF";
    Cpam => "cpam", "CPAM";
    Carsat => "carsat", "CARSAT";
    Msa => "msa", "MSA";
    Dgfip => "dgfip", "DGFiP (impôts)";
    FranceTravail => "france_travail", "France Travail";
    Prefecture => "prefecture", "Préfecture";
    LaPoste => "la_poste", "La Poste";
    Mdph => "mdph", "MDPH";
    Urssaf => "urssaf", "URSSAF";
    AutreAdministration => "administration", "Autre administration";
    Hub => "hub", "Hub régional pour un numérique inclusif";
    Autre => "autre", "Autre";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        for l in ScopeLevel::ALL {
            assert_eq!(ScopeLevel::parse(l.code()), Some(l));
        }
        for k in StructureKind::ALL {
            assert_eq!(StructureKind::parse(k.code()), Some(*k));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(StructureKind::parse("ccas "), None);
    }
}

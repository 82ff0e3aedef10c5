//! The closed lists of Réseau, each value with the code stored in the
//! database and its French label. A stored code that is none of these is
//! a corrupt record (the store says so); a submitted one is `NotInList`.

/// Declares a closed list: the enum, `ALL` in display order, `code`,
/// `label` and `parse`.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the database and sent by forms.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// What people read.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

vocabulary! {
    /// What the network's professionals work on, shared by profiles,
    /// events, resources, opportunities and training needs (from the hubs'
    /// themes in seed 003: access to rights, everyday uses, pedagogy,
    /// reuse, funding…).
    Theme {
        AccesAuxDroits = ("acces-aux-droits", "Accès aux droits et démarches en ligne"),
        UsagesQuotidien = ("usages-quotidien", "Usages du quotidien (matériel, internet, courriels)"),
        Parentalite = ("parentalite", "Parentalité et éducation au numérique"),
        Emploi = ("emploi", "Emploi et insertion"),
        Cybersecurite = ("cybersecurite", "Cybersécurité et données personnelles"),
        IntelligenceArtificielle = ("ia", "Intelligence artificielle"),
        Reemploi = ("reemploi", "Réemploi et numérique responsable"),
        EducationMedias = ("education-medias", "Éducation aux médias et à l’information"),
        Pedagogie = ("pedagogie", "Pédagogie et animation d’ateliers"),
        Accessibilite = ("accessibilite", "Accessibilité et handicap"),
        Financements = ("financements", "Financements et modèle économique"),
        Coordination = ("coordination", "Coordination territoriale et partenariats"),
    }
}

vocabulary! {
    /// Whom a resource is for.
    Public {
        Professionnels = ("professionnels", "Professionnels de la médiation"),
        GrandPublic = ("grand-public", "Grand public"),
        Jeunes = ("jeunes", "Jeunes"),
        Seniors = ("seniors", "Seniors"),
        Handicap = ("handicap", "Personnes en situation de handicap"),
        Allophones = ("allophones", "Personnes allophones"),
        Elus = ("elus", "Élus et décideurs"),
    }
}

vocabulary! {
    /// What kind of document a resource is.
    ResourceFormat {
        FichePratique = ("fiche", "Fiche pratique"),
        Guide = ("guide", "Guide"),
        SupportAtelier = ("atelier", "Support d’atelier"),
        Video = ("video", "Vidéo"),
        Outil = ("outil", "Outil en ligne"),
        Etude = ("etude", "Étude ou rapport"),
        Modele = ("modele", "Modèle de document"),
    }
}

vocabulary! {
    /// Under which terms a resource may be reused.
    Licence {
        CcBy = ("cc-by", "Creative Commons BY"),
        CcBySa = ("cc-by-sa", "Creative Commons BY-SA"),
        CcByNc = ("cc-by-nc", "Creative Commons BY-NC"),
        Cc0 = ("cc0", "Domaine public (CC0)"),
        Etalab = ("etalab-2.0", "Licence Ouverte (Etalab 2.0)"),
        Reserves = ("tous-droits-reserves", "Tous droits réservés"),
        Autre = ("autre", "Autre licence (précisée dans la description)"),
    }
}

vocabulary! {
    /// Who may see a resource.
    Visibility {
        /// Anyone, signed in or not.
        Public = ("public", "Public : lisible sans se connecter"),
        /// Professionals signed in to Passerelle.
        Members = ("membres", "Réservé aux professionnels connectés"),
    }
}

vocabulary! {
    /// The kinds of events the hub and the networks organise.
    EventKind {
        Rencontre = ("rencontre", "Rencontre départementale"),
        EchangePratiques = ("echange-pratiques", "Échange de pratiques"),
        Formation = ("formation", "Formation"),
        Webinaire = ("webinaire", "Webinaire"),
        Interconnaissance = ("interconnaissance", "Temps d’interconnaissance"),
    }
}

vocabulary! {
    /// Who an event is for.
    Audience {
        /// Shown to everyone, signed in or not; professionals register.
        Open = ("ouvert", "Ouvert à tous"),
        /// Professionals signed in to Passerelle.
        Professionals = ("professionnels", "Professionnels de la médiation"),
        /// The members of the event's network.
        Network = ("reseau", "Membres du réseau"),
    }
}

vocabulary! {
    /// Where a person stands for an event.
    RegistrationStatus {
        Registered = ("inscrit", "Inscrit"),
        Waiting = ("attente", "Sur liste d’attente"),
        Cancelled = ("annule", "Désinscrit"),
    }
}

vocabulary! {
    /// How one joins a network.
    Joining {
        Open = ("ouvert", "Ouvert : on rejoint d’un clic"),
        OnRequest = ("sur-demande", "Sur demande, acceptée par un animateur"),
    }
}

vocabulary! {
    /// Where a person stands in a network.
    NetworkRole {
        Requested = ("demande", "Demande en attente"),
        Member = ("membre", "Membre"),
        Animator = ("animateur", "Animateur"),
    }
}

vocabulary! {
    /// The three kinds of opportunities the hub relays.
    OpportunityKind {
        Funding = ("financement", "Appel à projets ou financement"),
        Job = ("emploi", "Offre d’emploi"),
        Training = ("formation", "Offre de formation"),
    }
}

vocabulary! {
    /// The contract of a job offer.
    Contract {
        Cdi = ("cdi", "CDI"),
        Cdd = ("cdd", "CDD"),
        Titulaire = ("fonction-publique", "Poste de la fonction publique"),
        Alternance = ("alternance", "Alternance ou apprentissage"),
        ServiceCivique = ("service-civique", "Service civique"),
        Stage = ("stage", "Stage"),
        Prestation = ("prestation", "Vacation ou prestation"),
    }
}

vocabulary! {
    /// What a training offer certifies: the blocks of the title
    /// « Responsable d’espace de médiation numérique » (CCP 1 is the
    /// minimum of conseillers numériques; CCP 2 and 3 complete the title).
    Certification {
        None = ("aucune", "Sans certification"),
        Ccp1 = ("ccp1", "CCP 1 — Accompagner différents publics vers l’autonomie dans les usages numériques"),
        Ccp2 = ("ccp2", "CCP 2 — Concevoir et animer des ateliers de médiation numérique"),
        Ccp3 = ("ccp3", "CCP 3 — Contribuer au développement d’un espace de médiation numérique"),
        Remn = ("remn", "Titre professionnel REMN complet"),
        PixClea = ("pix-clea", "Pix ou CléA numérique"),
        Other = ("autre", "Autre certification"),
    }
}

vocabulary! {
    /// How deep a training need goes.
    NeedLevel {
        Initiation = ("initiation", "Découverte"),
        Approfondissement = ("approfondissement", "Approfondissement"),
        Expertise = ("expertise", "Expertise, former à son tour"),
    }
}

/// Themes as stored: codes joined by `|`.
pub fn join_themes(themes: &[Theme]) -> String {
    themes
        .iter()
        .map(|t| t.code())
        .collect::<Vec<_>>()
        .join("|")
}

/// Themes from their stored form; `Err` with the first unknown code.
pub fn split_themes(text: &str) -> Result<Vec<Theme>, String> {
    split(text, Theme::parse)
}

/// Publics from their stored form.
pub fn split_publics(text: &str) -> Result<Vec<Public>, String> {
    split(text, Public::parse)
}

pub fn join_publics(publics: &[Public]) -> String {
    publics
        .iter()
        .map(|t| t.code())
        .collect::<Vec<_>>()
        .join("|")
}

fn split<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    text.split('|')
        .filter(|c| !c.is_empty())
        .map(|c| parse(c).ok_or_else(|| c.to_string()))
        .collect()
}

/// Chosen values from submitted codes: unknown codes are `NotInList`,
/// repeats are dropped, the list's order is kept.
pub fn chosen<T: Copy + PartialEq>(
    codes: &[String],
    all: &[T],
    code: fn(T) -> &'static str,
) -> Result<Vec<T>, crate::Rule> {
    let mut out = Vec::new();
    for c in codes {
        let value = all
            .iter()
            .copied()
            .find(|v| code(*v) == c)
            .ok_or(crate::Rule::NotInList)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            code: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for v in all {
                assert!(seen.insert(code(*v)), "{v:?}");
                assert_eq!(parse(code(*v)), Some(*v));
                assert!(!code(*v).contains('|'));
            }
        }
        check(Theme::ALL, Theme::code, Theme::parse);
        check(Public::ALL, Public::code, Public::parse);
        check(
            ResourceFormat::ALL,
            ResourceFormat::code,
            ResourceFormat::parse,
        );
        check(Licence::ALL, Licence::code, Licence::parse);
        check(EventKind::ALL, EventKind::code, EventKind::parse);
        check(Audience::ALL, Audience::code, Audience::parse);
        check(Contract::ALL, Contract::code, Contract::parse);
        check(
            Certification::ALL,
            Certification::code,
            Certification::parse,
        );
        check(NeedLevel::ALL, NeedLevel::code, NeedLevel::parse);
        check(NetworkRole::ALL, NetworkRole::code, NetworkRole::parse);
        check(
            RegistrationStatus::ALL,
            RegistrationStatus::code,
            RegistrationStatus::parse,
        );
    }

    #[test]
    fn themes_are_stored_joined() {
        let themes = [Theme::Pedagogie, Theme::Reemploi];
        assert_eq!(join_themes(&themes), "pedagogie|reemploi");
        assert_eq!(split_themes("pedagogie|reemploi"), Ok(themes.to_vec()));
        assert_eq!(split_themes(""), Ok(vec![]));
        assert_eq!(split_themes("pedagogie|x"), Err("x".into()));
        assert_eq!(
            chosen(&["ia".into(), "ia".into()], Theme::ALL, Theme::code),
            Ok(vec![Theme::IntelligenceArtificielle])
        );
        assert_eq!(
            chosen(&["nope".into()], Theme::ALL, Theme::code),
            Err(crate::Rule::NotInList)
        );
    }
}

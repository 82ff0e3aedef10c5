//! The closed vocabularies of the standard, exactly as it spells them.

pub const SERVICES: &[&str] = &[
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
];

pub const PUBLICS: &[&str] = &[
    "Jeunes",
    "Étudiants",
    "Familles et/ou enfants",
    "Seniors",
    "Femmes",
];

pub const SPECIFIC_SUPPORT: &[&str] = &[
    "Surdité",
    "Handicaps moteurs",
    "Handicaps mentaux",
    "Illettrisme",
    "Langues étrangères (anglais)",
    "Langues étrangères (autres)",
    "Déficience visuelle",
];

pub const FEES: &[&str] = &["Gratuit", "Gratuit sous condition", "Payant"];

pub const NATIONAL_PROGRAMMES: &[&str] = &[
    "Aidants Connect",
    "Bibliothèques numérique de référence",
    "Certification PIX",
    "Conseillers numériques",
    "Emmaüs Connect",
    "France Services",
    "Grande école du numérique",
    "La Croix Rouge",
    "Point d'accès numérique CAF",
    "Promeneurs du net",
    "Relais numérique (Emmaüs Connect)",
];

pub const ACCESS_MODALITIES: &[&str] = &[
    "Se présenter",
    "Téléphoner",
    "Contacter par mail",
    "Prendre un RDV en ligne",
    "Ce lieu n'accueille pas de public",
    "Envoyer un mail avec une fiche de prescription",
];

pub const ACCOMPANIMENT_MODALITIES: &[&str] = &[
    "En autonomie",
    "Accompagnement individuel",
    "Dans un atelier collectif",
    "À distance",
];

pub const ITINERANCE: &[&str] = &["Itinérant", "Fixe"];

/// Typology codes with their labels: the reference library's list
/// (`anct-cartographie-nationale/lieux-de-mediation-numerique`,
/// `src/models/typologie/typologie.ts` at 1e844c7, labels from its
/// comments; three typos corrected: ESS "def", EATT, EPN) plus two codes of
/// data·inclusion's former list it lacks (ADIE, PE). A code outside this
/// list is accepted with a warning (the list evolves); a value that is not
/// a code at all is an error. The library spells AUTRE "Autre".
pub const TYPOLOGIES: &[(&str, &str)] = &[
    (
        "ACI",
        "Structures porteuses d’ateliers et chantiers d’insertion",
    ),
    (
        "ACIPHC",
        "SIAE — Atelier chantier d’insertion premières heures en chantier",
    ),
    (
        "ADIE",
        "Association pour le droit à l’initiative économique",
    ),
    (
        "AFPA",
        "Agence nationale pour la formation professionnelle des adultes",
    ),
    ("AI", "Associations intermédiaires"),
    ("ASE", "Aide sociale à l’enfance"),
    ("ASSO", "Associations"),
    ("ASSO_CHOMEUR", "Associations de chômeurs"),
    ("AUTRE", "Autre"),
    ("AVIP", "Crèche à vocation d'insertion professionnelle"),
    ("BIB", "Bibliothèque / Médiathèque"),
    (
        "CAARUD",
        "Centre d'accueil et d'accompagnement à la réduction de risques pour usagers de drogues",
    ),
    ("CADA", "Centres d’accueil de demandeurs d’asile"),
    ("CAF", "Caisses d’allocation familiale"),
    ("CAP_EMPLOI", "Cap Emploi"),
    ("CAVA", "Centres d’adaptation à la vie active"),
    ("CC", "Communautés de Commune"),
    ("CCAS", "Centres communaux d’action sociale"),
    ("CCONS", "Chambres consulaires"),
    ("CD", "Conseils Départementaux"),
    ("CDAS", "Centre départemental d'action sociale"),
    ("CFP", "Centre des finances publiques"),
    ("CHRS", "Centres d’hébergement et de réinsertion sociale"),
    ("CHU", "Centres d’hébergement d’urgence"),
    ("CIAS", "Centres intercommunaux d’action sociale"),
    (
        "CIDFF",
        "Centres d’information sur les droits des femmes et des familles",
    ),
    ("CITMET", "Cité des métiers"),
    ("CMP", "Centre Médico Psychologique"),
    ("CMS", "Centre médico-social"),
    ("CPAM", "Caisse primaire d'assurance maladie"),
    ("CPH", "Centres provisoires d’hébergement"),
    ("CS", "Centre social"),
    (
        "CSAPA",
        "Centre de soins, d'accompagnement et de prévention en addictologie",
    ),
    ("CSC", "Centre socioculturel"),
    (
        "DEETS",
        "Directions de l’Economie, de l’Emploi, du Travail et des Solidarités",
    ),
    ("DEPT", "Services sociaux du Conseil départemental"),
    (
        "DIPLP",
        "Délégation interministérielle à la prévention et à la lutte contre la pauvreté",
    ),
    ("E2C", "École de la deuxième chance"),
    ("EA", "Entreprise adaptée"),
    ("EATT", "Entreprise adaptée de travail temporaire"),
    ("EI", "Entreprises d’insertion"),
    ("EITI", "Entreprises d’insertion par le travail indépendant"),
    ("ENM", "Espace Numérique Mobile"),
    ("EPCI", "Intercommunalité"),
    ("EPI", "Espace Public Internet"),
    ("EPIDE", "Établissement pour l'insertion dans l'emploi"),
    ("EPN", "Espace public numérique"),
    ("ES", "Épicerie solidaire"),
    ("ESAT", "Établissements ou services d'aide par le travail"),
    ("ESS", "Entreprise de l'Économie Sociale et Solidaire"),
    ("ETTI", "Entreprises de travail temporaire d’insertion"),
    ("EVS", "Espace de vie sociale"),
    ("FABLAB", "Fablab"),
    ("FABRIQUE", "Fabrique"),
    (
        "FAIS",
        "Fédérations d’acteurs de l’insertion et de la solidarité",
    ),
    ("FT", "France travail"),
    (
        "GEIQ",
        "Groupements d’employeurs pour l’insertion et la qualification",
    ),
    ("HUDA", "Hébergement d'urgence pour demandeurs d'asile"),
    ("LA_POSTE", "La Poste"),
    ("MDE", "Maison de l'emploi"),
    ("MDEF", "Maison de l'emploi et de la formation"),
    ("MDH", "Maison des Habitants"),
    ("MDPH", "Maison Départementale des Personnes Handicapées"),
    ("MDS", "Maison Départementale des Solidarités"),
    ("MJC", "Maison des jeunes et de la culture"),
    ("ML", "Mission Locale"),
    ("MQ", "Maison de quartier"),
    ("MSA", "Mutualité Sociale Agricole"),
    ("MSAP", "Maison de Services Au Public"),
    ("MUNI", "Municipalités"),
    (
        "OACAS",
        "Structures agréées Organisme d’accueil communautaire et d’activité solidaire",
    ),
    ("ODC", "Organisation délégataire d'un CD"),
    ("OF", "Organisme de formations"),
    ("OIL", "Opérateur d'intermédiation locative"),
    ("OPCS", "Organisation porteuse de la clause sociale"),
    ("PAD", "Point d'Accès au Droit"),
    ("PE", "Pôle emploi"),
    ("PENSION", "Pension de famille"),
    ("PI", "Point info"),
    ("PIJ_BIJ", "Points et bureaux information jeunesse"),
    ("PIMMS", "Point Information Médiation Multi Services"),
    ("PJJ", "Protection judiciaire de la jeunesse"),
    ("PLIE", "Plans locaux pour l’insertion et l’emploi"),
    ("PREF", "Préfecture, Sous-Préfecture"),
    ("PREVENTION", "Service ou club de prévention"),
    ("REG", "Région"),
    ("RELAIS_LECTURE", "Relais lecture"),
    ("RESSOURCERIE", "Ressourcerie"),
    ("RFS", "Réseau France Services"),
    ("RS_FJT", "Résidence sociale - Foyer de Jeunes Travailleurs"),
    ("SCP", "Services et clubs de prévention"),
    (
        "SPIP",
        "Services pénitentiaires d’insertion et de probation",
    ),
    ("TIERS_LIEUX", "Tiers lieu & coworking"),
    ("UDAF", "Union Départementale d’Aide aux Familles"),
];

/// Whether `code` is a typology of `TYPOLOGIES`.
pub fn is_known_typology(code: &str) -> bool {
    TYPOLOGIES.iter().any(|(c, _)| *c == code)
}

/// The label of a typology code, when known.
pub fn typology_label(code: &str) -> Option<&'static str> {
    TYPOLOGIES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// `formations_labels`: the standard's closed list (schema.json v1.0.2 of
/// `LaMednum/standard-mediation-num` at e347ff4, spelt as its pattern is).
pub const FORMATIONS_LABELS: &[&str] = &[
    "Formé à « Mon Espace Santé »",
    "Formé à « DUPLEX » (illettrisme)",
    "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
    "Collectif ressources et acteurs réemploi (Normandie)",
    "Étapes numériques(La Poste)",
    "Fabriques de Territoire",
    "Les Éclaireurs du numérique (Drôme)",
    "Mes Papiers (Métropole de Lyon)",
    "ORDI 3.0",
    "SUD LABS (PACA)",
];

/// The reference library's spelling of a `formations_labels` value where
/// it differs from the schema's (`src/models/formation-label/formation-label.ts`).
pub const LIBRARY_FORMATION_SPELLINGS: &[(&str, &str)] = &[(
    "Étapes numériques(La Poste)",
    "Étapes numériques (La Poste)",
)];

/// The v0.1 values of `modalites_accompagnement` (schema.json of the
/// standard before v1, ba0f8d9) and the v1 value each became. "À ma place"
/// has no v1 counterpart: the nearest, individual help, is used.
pub const ACCOMPANIMENT_V0_1: &[(&str, &str)] = &[
    (
        "Seul : j'ai accès à du matériel et une connexion",
        "En autonomie",
    ),
    (
        "Avec de l'aide : je suis accompagné seul dans l'usage du numérique",
        "Accompagnement individuel",
    ),
    (
        "Dans un atelier : j'apprends collectivement à utiliser le numérique",
        "Dans un atelier collectif",
    ),
    (
        "A ma place : une personne habilitée fait les démarches à ma place",
        "Accompagnement individuel",
    ),
];

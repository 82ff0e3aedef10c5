//! What the store, the questionnaire builder and the questionnaire format
//! refuse, said in French once (the library's messages are English, for
//! researchers at the command line). The command line uses
//! `refusal_text` too.

use passerelle_store::surveys::{DraftRefusal, Rejection, Survey, SurveyRefusal};
use passerelle_surveys::builder::{KindChoice, Problem, Refusal};
use passerelle_surveys::questionnaire::{Issue, Kind, OTHER, Problem as FileProblem};

use crate::fr;

/// Why a survey was not created or changed.
pub fn refusal_text(refusal: &SurveyRefusal, slug: &str) -> String {
    match refusal {
        SurveyRefusal::BadSlug => format!(
            "L’adresse « {slug} » ne doit contenir que des minuscules sans accent, des chiffres et des tirets."
        ),
        SurveyRefusal::SlugTaken => {
            format!(
                "L’adresse « {slug} » est déjà celle d’une autre enquête : choisissez-en une autre."
            )
        }
        SurveyRefusal::DatesOutOfOrder => "La clôture précède l’ouverture.".into(),
        SurveyRefusal::NotDraft => {
            "Cette enquête est en ligne : son questionnaire ne change plus.".into()
        }
        SurveyRefusal::NoQuestions => {
            "Ajoutez au moins une question avant de mettre l’enquête en ligne.".into()
        }
    }
}

/// The types of question, as the form names them.
pub fn kind_label(kind: KindChoice) -> &'static str {
    match kind {
        KindChoice::Single => "Choix unique",
        KindChoice::Multiple => "Choix multiples",
        KindChoice::Scale => "Échelle de notes",
        KindChoice::Grid => "Grille (plusieurs éléments notés sur une échelle)",
        KindChoice::Integer => "Nombre entier",
        KindChoice::Decimal => "Nombre décimal",
        KindChoice::Text => "Texte libre",
    }
}

/// What is wrong with a question as typed in the form.
pub fn problem_text(problem: &Problem) -> String {
    match problem {
        Problem::UnknownQuestion => "Cette question n’existe plus : rechargez la page.".into(),
        Problem::EmptyText => "Écrivez la question.".into(),
        Problem::NoOptions => "Écrivez au moins une réponse proposée, une par ligne.".into(),
        Problem::DuplicateOption(label) => {
            format!("La réponse « {label} » est écrite deux fois.")
        }
        Problem::ScaleBounds => "Une échelle va d’une note à une autre : donnez les deux.".into(),
        Problem::NotWhole => "Donnez un nombre entier.".into(),
        Problem::BoundsOrder => "Le maximum doit dépasser le minimum.".into(),
        Problem::ScaleTooLong => "Une échelle a au plus 101 notes.".into(),
        Problem::UnknownCondition => {
            "Choisissez une réponse d’une question qui vient avant celle-ci.".into()
        }
        Problem::AnswerInUse { question, label } => format!(
            "La question {question} s’affiche selon la réponse « {label} » : gardez cette réponse, ou changez d’abord la condition de la question {question}."
        ),
        Problem::KindInUse { question } => format!(
            "La question {question} s’affiche selon la réponse à celle-ci : ce type de question ne peut pas lui répondre. Changez d’abord la condition de la question {question}."
        ),
    }
}

/// Why a question was not moved or removed.
pub fn move_refusal_text(refusal: &Refusal) -> String {
    match refusal {
        Refusal::UnknownQuestion => "Cette question n’existe plus : rechargez la page.".into(),
        Refusal::ReadsEarlier { question } => format!(
            "Cette question s’affiche selon la réponse à la question {question} : elle doit rester après elle."
        ),
        Refusal::ReadBy { question } => format!(
            "La question {question} s’affiche selon la réponse à celle-ci : changez d’abord sa condition."
        ),
    }
}

/// One problem of an imported questionnaire file: line, field, what.
pub fn file_problem(p: &FileProblem) -> String {
    format!(
        "Ligne {}, champ « {} » : {}",
        p.line,
        p.field,
        issue_text(&p.issue)
    )
}

/// Every problem of a questionnaire file, one line each, in French: the
/// command line says them as the import page does.
pub fn invalid_text(invalid: &passerelle_surveys::questionnaire::Invalid) -> String {
    invalid
        .problems
        .iter()
        .map(|p| format!("{} : {}", invalid.source, file_problem(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn issue_text(issue: &Issue) -> String {
    let number = |x: f64| fr::decimal(x, 2);
    match issue {
        Issue::Syntax {
            key: Some(key),
            message,
        } if message.starts_with("missing field") => {
            format!("le champ « {key} » manque.")
        }
        Issue::Syntax {
            key: Some(key),
            message,
        } if message.starts_with("unknown field") => {
            format!("« {key} » n’est pas un champ du format des questionnaires.")
        }
        Issue::Syntax { .. } => {
            "ce n’est pas du TOML correct (guillemets, crochets ou signe = à vérifier).".into()
        }
        Issue::EmptyList => "la liste doit contenir au moins une réponse.".into(),
        Issue::BadCode(code) => {
            format!("« {code} » doit être fait de lettres sans accent, de chiffres, de _ ou de -.")
        }
        Issue::DuplicateCode(code) => format!("le code « {code} » est donné deux fois."),
        Issue::ReservedCode => format!("le code « {OTHER} » est réservé à la réponse « Autre »."),
        Issue::EmptyLabel(code) => format!("la réponse « {code} » n’a pas de libellé."),
        Issue::ScaleBounds => "une échelle a besoin de min et de max.".into(),
        Issue::NotWhole => "les bornes doivent être des nombres entiers.".into(),
        Issue::ScaleOrder(min) => format!("doit dépasser le minimum ({}).", number(*min)),
        Issue::ScaleTooLong => "une échelle a au plus 101 notes.".into(),
        Issue::BoundsOrder(min) => {
            format!("ne doit pas être sous le minimum ({}).", number(*min))
        }
        Issue::Unused { kind } => {
            format!("ce champ ne sert pas à une question de type « {kind} ».")
        }
        Issue::NeedsOptions => "une question à choix a besoin de options.".into(),
        Issue::NeedsItems => "une grille a besoin de items.".into(),
        Issue::UnknownType(kind) => format!(
            "type « {kind} » inconnu (single, multiple, scale, grid, integer, decimal ou text)."
        ),
        Issue::NotEarlier(question) => {
            format!("la question « {question} » ne vient pas avant celle-ci dans le questionnaire.")
        }
        Issue::OneTest => {
            "donnez une seule condition : equals, any_of, includes, at_least ou at_most.".into()
        }
        Issue::TestDoesNotApply { question, kind } => format!(
            "cette condition ne s’applique pas à la question « {question} » de type « {kind} »."
        ),
        Issue::NotAnAnswer { code, question } => {
            format!("« {code} » n’est pas une réponse de la question « {question} ».")
        }
        Issue::DuplicateId(id) => {
            format!("l’identifiant « {id} » est déjà pris par une autre question.")
        }
        Issue::EmptyText => "le texte ne doit pas être vide.".into(),
        Issue::NoQuestions => "le questionnaire doit contenir au moins une question.".into(),
    }
}

/// What to tell a respondent about a refused answer (the library's
/// messages are for researchers, in English).
pub fn answer_problem(survey: &Survey, column: &str) -> String {
    let id = column.split('.').next().unwrap_or(column);
    let number = |x: &f64| fr::decimal(*x, 2);
    let bounds = |min: &Option<f64>, max: &Option<f64>| match (min, max) {
        (Some(a), Some(b)) => format!(" entre {} et {}", number(a), number(b)),
        (Some(a), None) => format!(" d’au moins {}", number(a)),
        (None, Some(b)) => format!(" d’au plus {}", number(b)),
        (None, None) => String::new(),
    };
    match survey.questionnaire.question(id).map(|q| &q.kind) {
        Some(Kind::Integer { min, max }) => {
            format!("Un nombre entier{} est attendu.", bounds(min, max))
        }
        Some(Kind::Decimal { min, max }) => format!("Un nombre{} est attendu.", bounds(min, max)),
        Some(Kind::Scale(s) | Kind::Grid { scale: s, .. }) => {
            format!("Une note de {} à {} est attendue.", s.min, s.max)
        }
        _ => "Cette réponse ne fait pas partie des choix proposés.".to_string(),
    }
}

pub const CLOSED: &str = "Cette enquête n’accepte pas de réponse aujourd’hui.";
pub const INVITATION: &str =
    "Le lien d’invitation manque ou a déjà servi : une invitation vaut une réponse.";

/// Why answers were not saved for later.
pub fn draft_refusal(refusal: DraftRefusal) -> &'static str {
    match refusal {
        DraftRefusal::Closed => CLOSED,
        DraftRefusal::Invitation => INVITATION,
        DraftRefusal::TooLarge => {
            "Vos réponses sont trop longues pour être enregistrées : raccourcissez les textes libres."
        }
        DraftRefusal::TooMany => {
            "Les brouillons de cette enquête sont trop nombreux pour l’instant : envoyez vos réponses directement."
        }
    }
}

/// Why a response was not stored: the message above the form, and one
/// per column at fault.
pub fn rejection(survey: &Survey, rejection: Rejection) -> (String, Vec<(String, String)>) {
    match rejection {
        Rejection::Closed => (CLOSED.into(), Vec::new()),
        Rejection::Invitation => (INVITATION.into(), Vec::new()),
        Rejection::Invalid(errors) => (
            "Certaines réponses sont à corriger.".into(),
            errors
                .into_iter()
                .map(|(column, _)| {
                    let message = answer_problem(survey, &column);
                    (column, message)
                })
                .collect(),
        ),
        Rejection::Incomplete(ids) => (
            "Des questions obligatoires sont sans réponse.".into(),
            ids.into_iter()
                .map(|id| (id, "Réponse obligatoire.".to_string()))
                .collect(),
        ),
    }
}

//! The access policy: the one function that answers "can this actor do this
//! action on this resource?". Every handler asks it; none decides alone.
//!
//! Denials say how to answer: `SignInRequired` (401, or the sign-in page),
//! `Forbidden` (403: the actor may know the resource exists) or `NotFound`
//! (404: the actor must not learn that it exists).

use crate::kinds::{Role, ScopeLevel};

/// A territorial scope of a coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub level: ScopeLevel,
    pub code: String,
}

/// An active role in a structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub structure_id: i64,
    pub role: Role,
    pub scopes: Vec<Scope>,
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    Person {
        person_id: i64,
        memberships: Vec<Membership>,
    },
    /// A machine client, with a structure's API token. It reads on behalf of
    /// the structure and manages nothing.
    ApiToken {
        token_id: i64,
        structure_id: i64,
    },
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Person { memberships, .. } if memberships.iter().any(|m| m.role == Role::Admin))
    }

    fn roles_in(&self, structure_id: i64) -> impl Iterator<Item = Role> + '_ {
        let memberships: &[Membership] = match self {
            Self::Person { memberships, .. } => memberships,
            _ => &[],
        };
        memberships
            .iter()
            .filter(move |m| m.structure_id == structure_id)
            .map(|m| m.role)
    }

    fn coordinates(&self, place: &Location) -> bool {
        let Self::Person { memberships, .. } = self else {
            return false;
        };
        memberships
            .iter()
            .filter(|m| m.role == Role::Coordinateur)
            .flat_map(|m| &m.scopes)
            .any(|s| place.within(s))
    }
}

/// Where something is, in the territorial reference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub commune: Option<String>,
    pub epci: Option<String>,
    pub departement: Option<String>,
    pub region: Option<String>,
}

impl Location {
    fn within(&self, scope: &Scope) -> bool {
        let code = match scope.level {
            ScopeLevel::Commune => &self.commune,
            ScopeLevel::Epci => &self.epci,
            ScopeLevel::Departement => &self.departement,
            ScopeLevel::Region => &self.region,
        };
        code.as_deref() == Some(scope.code.as_str())
    }
}

/// A structure as the policy needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureRef {
    pub id: i64,
    pub location: Location,
}

/// A place of the directory as the policy needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceRef {
    /// Structures running the place: the one it is attached to, and those
    /// whose SIRET is its pivot.
    pub structures: Vec<i64>,
    pub location: Location,
}

/// A referral as the policy needs to see it: the two structures at its
/// ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralRef {
    pub sender: i64,
    pub receiver: i64,
}

/// Everything an actor may try.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Their own account, sessions and password.
    ViewOwnAccount,
    ListStructures,
    CreateStructure,
    ViewStructure(&'a StructureRef),
    /// Invite, change roles, end memberships.
    ManageMembers(&'a StructureRef),
    ManageApiTokens(&'a StructureRef),
    /// Put a structure's surveys online and invite respondents: its
    /// gestionnaires (its members and coordinators read the results, as
    /// `ViewStructure`).
    ManageSurveys(&'a StructureRef),
    /// Start a survey for one of one's structures: its gestionnaires.
    CreateSurvey,
    /// Give this role in the structure (invitation or role change):
    /// gestionnaires grant membre and gestionnaire; only admins grant the
    /// instance-wide roles.
    GrantRole(&'a StructureRef, Role),
    ViewAuditTrail,
    ViewOutbox,
    /// Load a file of places into the directory.
    ImportPlaces,
    /// Change a place's record: its structure's members.
    EditPlace(&'a PlaceRef),
    /// See a territory's places needing attention (stale, possible
    /// duplicates) and decide on duplicates: coordinators of the place's
    /// territory.
    CoordinatePlace(&'a PlaceRef),
    /// Open the coordination view at all.
    CoordinatePlaces,
    /// Record activities (as a mediator of one's structure, or a machine
    /// client for its structure). Which figures one then sees is
    /// `activity_figures`.
    RecordActivity,
    /// Figures published as open data, aggregated under the small-cell
    /// rule: anyone, signed in or not.
    ViewOpenData,
    /// Import official indicator files (INSEE census, CAF, France Travail)
    /// for the Diagnostic: coordinators and admins. The figures are open
    /// data for the whole instance, so any coordinator may load them.
    ImportIndicators,
    /// Send a referral for one's structure: its membres and gestionnaires.
    SendReferral,
    /// See that a referral exists and its follow-up (no personal fields):
    /// the people of both structures, and admins.
    ViewReferral(&'a ReferralRef),
    /// Read or change the person's fields: only the people of the two
    /// structures, admins included only if they belong to one of them.
    ReferralPerson(&'a ReferralRef),
    /// Open, fix an appointment, close, refuse: the receiving structure.
    ActAsReceiver(&'a ReferralRef),
    /// Cancel: the sending structure.
    ActAsSender(&'a ReferralRef),
    /// Anonymous statistics of referrals: coordinators and admins.
    ViewReferralStats,
    /// Erase the person's fields of a referral or a "situation complexe"
    /// request (right to erasure): the people of the two structures
    /// holding them, as `ReferralPerson`.
    ErasePersonalData(&'a ReferralRef),
    /// The directory of referents inside administrations: professionals
    /// (any role in a structure), never the public or machine clients.
    ViewReferents,
    /// Propose an entry: the members of the organisation's structure (it
    /// stays awaiting validation), or whoever may validate it. Never for a
    /// structure whose kind cannot represent the organisation.
    ProposeReferent(&'a ReferentRef),
    /// Vouch for an entry (create it validated, or validate a proposal):
    /// admins and coordinators whose scope covers its territory, never for
    /// a structure whose kind cannot represent the organisation.
    ValidateReferent(&'a ReferentRef),
    /// Remove an entry: coordinators of its territory, the members of the
    /// entry's structure, admins.
    ManageReferent(&'a ReferentRef),
    // Réseau: the hub's network animation.
    /// The directory, the networks, the events and resources kept for
    /// professionals: people with a role in a structure.
    ViewNetwork,
    /// Appear in the directory, write to someone through it, join
    /// networks, share resources and mark them useful, publish
    /// opportunities, say one's training needs, follow the digest:
    /// professionals.
    TakePartInNetwork,
    /// Funding calls, job and training offers: anyone, signed in or not.
    ViewOpportunities,
    /// Create a network: coordinators.
    CreateNetwork,
    /// Accept requests to join, name animators, remove someone: its
    /// animators (a coordinator who creates a network animates it).
    AnimateNetwork(&'a NetworkRef),
    /// Publish an event: coordinators, and for a network its animators.
    PublishEvent(Option<&'a NetworkRef>),
    /// See an event: by its audience (anyone, professionals, or the
    /// members of its network, with its organiser and animators).
    ViewEvent(&'a EventRef),
    /// Register for an event (and cancel): professionals it is open to.
    RegisterForEvent(&'a EventRef),
    /// Change or cancel an event, take attendance, export its attendees:
    /// its organiser, its network's animators, coordinators of its
    /// territory.
    ManageEvent(&'a EventRef),
    /// Read a resource: public ones by anyone, the others by
    /// professionals; a hidden one by its author and moderators only.
    ViewResource(&'a ResourceRef),
    /// Delete a resource: its author (moderators hide it instead).
    EditResource(&'a ResourceRef),
    /// Withdraw an opportunity: its author (given), and coordinators of
    /// where it applies.
    EditOpportunity(Option<i64>, &'a Location),
    /// Hide or feature resources, withdraw opportunities: coordinators.
    ModerateNetwork,
}

/// A network as the policy needs to see it: who animates it, who belongs
/// to it (animators included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkRef {
    pub animators: Vec<i64>,
    pub members: Vec<i64>,
}

/// Whom an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenTo {
    Everyone,
    Professionals,
    NetworkMembers,
}

/// An event as the policy needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    pub organiser: Option<i64>,
    pub open_to: OpenTo,
    pub network: Option<NetworkRef>,
    /// Where it takes place (nowhere for an online event).
    pub location: Location,
}

/// A shared resource as the policy needs to see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceRef {
    pub author: Option<i64>,
    pub public: bool,
    pub hidden: bool,
}

/// A referent entry as the policy needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferentRef {
    /// The organisation's structure, if it has one in Passerelle.
    pub structure: Option<i64>,
    /// Whether that structure's kind may represent the organisation the
    /// entry names (`passerelle_referrals::referents::may_represent`).
    pub represents: bool,
    pub location: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    SignInRequired,
    Forbidden,
    NotFound,
}

pub type Decision = Result<(), Denial>;

/// Decides an access.
pub fn authorize(actor: &Actor, action: Action<'_>) -> Decision {
    match action {
        Action::ViewOpenData | Action::ViewOpportunities => return Ok(()),
        Action::ViewEvent(e) if e.open_to == OpenTo::Everyone => return Ok(()),
        Action::ViewResource(r) if r.public && !r.hidden => return Ok(()),
        _ => {}
    }
    if *actor == Actor::Anonymous {
        return Err(Denial::SignInRequired);
    }
    // Personal data of a referral: membership only, before the admin rule.
    // Machine clients never see it.
    if let Action::ReferralPerson(r)
    | Action::ErasePersonalData(r)
    | Action::ActAsReceiver(r)
    | Action::ActAsSender(r) = action
    {
        let structure = match action {
            Action::ActAsReceiver(_) => Some(r.receiver),
            Action::ActAsSender(_) => Some(r.sender),
            _ => None,
        };
        let works_in = |id: i64| {
            actor
                .roles_in(id)
                .any(|role| matches!(role, Role::Membre | Role::Gestionnaire))
        };
        let belongs = works_in(r.sender) || works_in(r.receiver);
        return match structure {
            Some(id) if works_in(id) => Ok(()),
            None if belongs => Ok(()),
            _ if belongs || actor.is_admin() => Err(Denial::Forbidden),
            _ => Err(Denial::NotFound),
        };
    }
    // An entry pointing at a structure that is not of the organisation it
    // names: nobody may vouch for it, admins included.
    if let Action::ProposeReferent(r) | Action::ValidateReferent(r) = action
        && r.structure.is_some()
        && !r.represents
    {
        return Err(Denial::Forbidden);
    }
    if actor.is_admin() {
        return Ok(());
    }
    let allowed = |yes: bool, otherwise: Denial| if yes { Ok(()) } else { Err(otherwise) };
    match action {
        Action::ViewOwnAccount => Ok(()),
        Action::ListStructures
        | Action::CreateStructure
        | Action::ViewAuditTrail
        | Action::ViewOutbox
        | Action::ImportPlaces => Err(Denial::Forbidden),
        Action::ViewStructure(s) => allowed(can_view(actor, s), Denial::NotFound),
        Action::EditPlace(place) => allowed(
            place.structures.iter().any(|s| {
                actor
                    .roles_in(*s)
                    .any(|r| matches!(r, Role::Gestionnaire | Role::Membre))
            }),
            Denial::Forbidden,
        ),
        Action::CoordinatePlace(place) => {
            allowed(actor.coordinates(&place.location), Denial::Forbidden)
        }
        Action::RecordActivity => allowed(
            match actor {
                Actor::ApiToken { .. } => true,
                Actor::Person { memberships, .. } => memberships
                    .iter()
                    .any(|m| matches!(m.role, Role::Membre | Role::Gestionnaire)),
                Actor::Anonymous => false,
            },
            Denial::Forbidden,
        ),
        Action::SendReferral => allowed(
            matches!(actor, Actor::Person { memberships, .. }
                if memberships.iter().any(|m| matches!(m.role, Role::Membre | Role::Gestionnaire))),
            Denial::Forbidden,
        ),
        // Those who handle referrals: a structure's coordinators (a hub's)
        // see only statistics.
        Action::ViewReferral(r) => allowed(
            [r.sender, r.receiver].into_iter().any(|s| {
                actor
                    .roles_in(s)
                    .any(|role| matches!(role, Role::Membre | Role::Gestionnaire))
            }),
            Denial::NotFound,
        ),
        Action::ReferralPerson(_)
        | Action::ErasePersonalData(_)
        | Action::ActAsReceiver(_)
        | Action::ActAsSender(_)
        | Action::ViewOpenData
        | Action::ViewOpportunities => {
            unreachable!("decided above")
        }
        Action::ViewNetwork
        | Action::TakePartInNetwork
        | Action::ViewEvent(_)
        | Action::RegisterForEvent(_)
        | Action::ManageEvent(_)
        | Action::ViewResource(_)
        | Action::EditResource(_)
        | Action::EditOpportunity(..)
        | Action::CreateNetwork
        | Action::ModerateNetwork
        | Action::AnimateNetwork(_)
        | Action::PublishEvent(_) => network(actor, action),
        Action::ViewReferents => allowed(
            matches!(actor, Actor::Person { memberships, .. } if !memberships.is_empty()),
            Denial::Forbidden,
        ),
        Action::ValidateReferent(r) => allowed(actor.coordinates(&r.location), Denial::Forbidden),
        Action::ProposeReferent(r) | Action::ManageReferent(r) => allowed(
            actor.coordinates(&r.location)
                || r.structure.is_some_and(|s| {
                    actor
                        .roles_in(s)
                        .any(|role| matches!(role, Role::Membre | Role::Gestionnaire))
                }),
            Denial::Forbidden,
        ),
        Action::CreateSurvey => allowed(
            matches!(actor, Actor::Person { memberships, .. } if memberships.iter().any(|m| m.role == Role::Gestionnaire)),
            Denial::Forbidden,
        ),
        Action::ViewReferralStats | Action::CoordinatePlaces | Action::ImportIndicators => allowed(
            matches!(actor, Actor::Person { memberships, .. } if memberships.iter().any(|m| m.role == Role::Coordinateur)),
            Denial::Forbidden,
        ),
        Action::GrantRole(s, Role::Admin | Role::Coordinateur) => allowed(
            false,
            if can_view(actor, s) {
                Denial::Forbidden
            } else {
                Denial::NotFound
            },
        ),
        Action::ManageMembers(s)
        | Action::ManageApiTokens(s)
        | Action::ManageSurveys(s)
        | Action::GrantRole(s, _) => {
            if actor.roles_in(s.id).any(|r| r == Role::Gestionnaire) {
                Ok(())
            } else if can_view(actor, s) {
                Err(Denial::Forbidden)
            } else {
                Err(Denial::NotFound)
            }
        }
    }
}

/// The territories an actor answers for: administrators every territory of
/// the loaded reference, coordinators their scopes and everything inside
/// them (a région's coordinator drills down to its départements, EPCI and
/// communes), anyone else none. Pages build their territory pickers from
/// it, and territorial figures are covered by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerritorialScope {
    Everywhere,
    Within(Vec<Scope>),
}

impl TerritorialScope {
    /// Whether a territory, given with its ancestors (`Location`: a
    /// département carries its région), lies within the scope.
    pub fn covers(&self, place: &Location) -> bool {
        match self {
            Self::Everywhere => true,
            Self::Within(scopes) => scopes.iter().any(|s| place.within(s)),
        }
    }

    /// No territory at all (an actor with no coordination scope).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Within(scopes) if scopes.is_empty())
    }
}

/// The territories `actor` answers for (see `TerritorialScope`).
pub fn territorial_scope(actor: &Actor) -> TerritorialScope {
    if actor.is_admin() {
        return TerritorialScope::Everywhere;
    }
    let Actor::Person { memberships, .. } = actor else {
        return TerritorialScope::Within(Vec::new());
    };
    let mut scopes: Vec<Scope> = Vec::new();
    for s in memberships
        .iter()
        .filter(|m| m.role == Role::Coordinateur)
        .flat_map(|m| &m.scopes)
    {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    TerritorialScope::Within(scopes)
}

/// Whose activity figures an actor may see. Every dashboard and export of
/// Activités asks this, and the store counts only within the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FiguresScope {
    /// Every record, any territory: administrators.
    Everything,
    /// The records counted in these territories, one at a time:
    /// coordinators (none: they see nothing).
    Territories(Vec<Scope>),
    /// The records of these structures: a machine client sees its own
    /// structure's.
    Structures(Vec<i64>),
    /// The records a person made: a mediator's own figures.
    Person(i64),
}

impl FiguresScope {
    /// Whether the figures of a territory, given with its ancestors, are
    /// within the scope: always for administrators, for coordinators when
    /// it lies inside one of their territories (a région's coordinator
    /// sees each of its départements), never for the others (they see
    /// theirs, everywhere).
    pub fn covers(&self, place: &Location) -> bool {
        match self {
            Self::Everything => true,
            Self::Territories(scopes) => scopes.iter().any(|s| place.within(s)),
            Self::Structures(_) | Self::Person(_) => false,
        }
    }

    /// Their own records only (a mediator's, a structure's), rather than
    /// a territory's.
    pub fn is_own(&self) -> bool {
        matches!(self, Self::Structures(_) | Self::Person(_))
    }
}

/// Which activity figures the actor may see: administrators everything,
/// coordinators their territories, mediators (membres, gestionnaires)
/// their own records, a structure's API token that structure's records.
/// Anyone else: none.
pub fn activity_figures(actor: &Actor) -> Result<FiguresScope, Denial> {
    match actor {
        Actor::Anonymous => Err(Denial::SignInRequired),
        Actor::ApiToken { structure_id, .. } => Ok(FiguresScope::Structures(vec![*structure_id])),
        Actor::Person {
            person_id,
            memberships,
        } => {
            if actor.is_admin() {
                return Ok(FiguresScope::Everything);
            }
            let coordinating: Vec<&Membership> = memberships
                .iter()
                .filter(|m| m.role == Role::Coordinateur)
                .collect();
            if !coordinating.is_empty() {
                let mut scopes: Vec<Scope> = Vec::new();
                for s in coordinating.into_iter().flat_map(|m| &m.scopes) {
                    if !scopes.contains(s) {
                        scopes.push(s.clone());
                    }
                }
                return Ok(FiguresScope::Territories(scopes));
            }
            if memberships
                .iter()
                .any(|m| matches!(m.role, Role::Membre | Role::Gestionnaire))
            {
                return Ok(FiguresScope::Person(*person_id));
            }
            Err(Denial::Forbidden)
        }
    }
}

/// The structure an actor records activities for: a machine client's
/// own; for a person, the first structure where they are membre or
/// gestionnaire (none for coordinators and administrators who work in
/// none).
pub fn recording_structure(actor: &Actor) -> Option<i64> {
    match actor {
        Actor::ApiToken { structure_id, .. } => Some(*structure_id),
        Actor::Person { memberships, .. } => memberships
            .iter()
            .find(|m| matches!(m.role, Role::Membre | Role::Gestionnaire))
            .map(|m| m.structure_id),
        Actor::Anonymous => None,
    }
}

/// Réseau's actions, for people who are not administrators.
fn network(actor: &Actor, action: Action<'_>) -> Decision {
    let Actor::Person {
        person_id,
        memberships,
    } = actor
    else {
        return Err(Denial::Forbidden);
    };
    let me = *person_id;
    let professional = !memberships.is_empty();
    let coordinator = memberships.iter().any(|m| m.role == Role::Coordinateur);
    let allowed = |yes: bool, otherwise: Denial| if yes { Ok(()) } else { Err(otherwise) };
    let animates = |n: &NetworkRef| n.animators.contains(&me);
    let sees = |e: &EventRef| match e.open_to {
        OpenTo::Everyone => true,
        OpenTo::Professionals => professional,
        OpenTo::NetworkMembers => {
            e.organiser == Some(me)
                || coordinator
                || e.network.as_ref().is_some_and(|n| n.members.contains(&me))
        }
    };
    match action {
        Action::ViewNetwork | Action::TakePartInNetwork => allowed(professional, Denial::Forbidden),
        Action::CreateNetwork | Action::ModerateNetwork => allowed(coordinator, Denial::Forbidden),
        Action::AnimateNetwork(n) => allowed(animates(n), Denial::Forbidden),
        Action::PublishEvent(n) => {
            allowed(coordinator || n.is_some_and(animates), Denial::Forbidden)
        }
        Action::ViewEvent(e) => allowed(sees(e), Denial::NotFound),
        Action::RegisterForEvent(e) if sees(e) => allowed(
            professional
                && (e.open_to != OpenTo::NetworkMembers
                    || e.network.as_ref().is_some_and(|n| n.members.contains(&me))),
            Denial::Forbidden,
        ),
        Action::ManageEvent(e) if sees(e) || professional => allowed(
            e.organiser == Some(me)
                || e.network.as_ref().is_some_and(animates)
                || actor.coordinates(&e.location),
            Denial::Forbidden,
        ),
        Action::ViewResource(r) if r.hidden => {
            allowed(r.author == Some(me) || coordinator, Denial::NotFound)
        }
        Action::ViewResource(_) => allowed(professional, Denial::Forbidden),
        Action::EditResource(r) => allowed(
            r.author == Some(me),
            if r.hidden && !coordinator {
                Denial::NotFound
            } else {
                Denial::Forbidden
            },
        ),
        Action::EditOpportunity(author, location) => allowed(
            author == Some(me) || actor.coordinates(location),
            Denial::Forbidden,
        ),
        _ => Err(Denial::NotFound),
    }
}

/// Whose network figures (events held, attendees, training needs) an
/// actor may see: administrators everything, coordinators their
/// territories; nobody else.
pub fn network_figures(actor: &Actor) -> Result<FiguresScope, Denial> {
    match activity_figures(actor)? {
        scope @ (FiguresScope::Everything | FiguresScope::Territories(_)) => Ok(scope),
        FiguresScope::Structures(_) | FiguresScope::Person(_) => Err(Denial::Forbidden),
    }
}

fn can_view(actor: &Actor, s: &StructureRef) -> bool {
    match actor {
        Actor::ApiToken { structure_id, .. } => *structure_id == s.id,
        _ => actor.roles_in(s.id).next().is_some() || actor.coordinates(&s.location),
    }
}

/// Whether the actor works in this structure — handles its referrals and
/// records its activity (membre or gestionnaire). Pages list "my
/// structures" with it.
pub fn works_in(actor: &Actor, structure_id: i64) -> bool {
    actor
        .roles_in(structure_id)
        .any(|role| matches!(role, Role::Membre | Role::Gestionnaire))
}

/// Whether the actor may vouch for referent entries somewhere (an
/// administrator, or a coordinator of some territory): such actors create
/// entries validated and may point them to any structure of the
/// organisation. Which entries exactly is `ValidateReferent`.
pub fn vouches_for_referents(actor: &Actor) -> bool {
    actor.is_admin()
        || matches!(actor, Actor::Person { memberships, .. }
            if memberships.iter().any(|m| m.role == Role::Coordinateur))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(memberships: Vec<Membership>) -> Actor {
        Actor::Person {
            person_id: 1,
            memberships,
        }
    }

    fn member(structure_id: i64, role: Role) -> Membership {
        Membership {
            structure_id,
            role,
            scopes: vec![],
        }
    }

    fn coordinator(level: ScopeLevel, code: &str) -> Membership {
        Membership {
            structure_id: 99,
            role: Role::Coordinateur,
            scopes: vec![Scope {
                level,
                code: code.into(),
            }],
        }
    }

    fn structure_in_quimper(id: i64) -> StructureRef {
        StructureRef {
            id,
            location: Location {
                commune: Some("29232".into()),
                epci: Some("200068120".into()),
                departement: Some("29".into()),
                region: Some("53".into()),
            },
        }
    }

    #[test]
    fn gestionnaires_and_admins_start_surveys() {
        let gestionnaire = person(vec![member(1, Role::Gestionnaire)]);
        let membre = person(vec![member(1, Role::Membre)]);
        let admin = person(vec![member(9, Role::Admin)]);
        assert_eq!(authorize(&gestionnaire, Action::CreateSurvey), Ok(()));
        assert_eq!(authorize(&admin, Action::CreateSurvey), Ok(()));
        assert_eq!(
            authorize(&membre, Action::CreateSurvey),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&Actor::Anonymous, Action::CreateSurvey),
            Err(Denial::SignInRequired)
        );
    }

    #[test]
    fn coordinators_and_admins_import_diagnostic_indicators() {
        let coordinator = person(vec![coordinator(ScopeLevel::Departement, "29")]);
        let admin = person(vec![member(9, Role::Admin)]);
        let gestionnaire = person(vec![member(1, Role::Gestionnaire)]);
        assert_eq!(authorize(&coordinator, Action::ImportIndicators), Ok(()));
        assert_eq!(authorize(&admin, Action::ImportIndicators), Ok(()));
        assert_eq!(
            authorize(&gestionnaire, Action::ImportIndicators),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&Actor::Anonymous, Action::ImportIndicators),
            Err(Denial::SignInRequired)
        );
        let token = Actor::ApiToken {
            token_id: 1,
            structure_id: 2,
        };
        assert_eq!(
            authorize(&token, Action::ImportIndicators),
            Err(Denial::Forbidden)
        );
    }

    #[test]
    fn personal_fields_of_a_referral_stay_with_the_two_structures() {
        let r = ReferralRef {
            sender: 1,
            receiver: 2,
        };
        let sender = person(vec![member(1, Role::Membre)]);
        let receiver = person(vec![member(2, Role::Gestionnaire)]);
        let admin = person(vec![member(9, Role::Admin)]);
        let admin_in_receiver = person(vec![member(9, Role::Admin), member(2, Role::Membre)]);
        let coordinator = person(vec![coordinator(ScopeLevel::Region, "53")]);
        let stranger = person(vec![member(3, Role::Membre)]);
        for who in [&sender, &receiver, &admin_in_receiver] {
            assert_eq!(authorize(who, Action::ReferralPerson(&r)), Ok(()));
        }
        assert_eq!(
            authorize(&admin, Action::ReferralPerson(&r)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&admin, Action::ViewReferral(&r)),
            Ok(()),
            "metadata"
        );
        assert_eq!(
            authorize(&coordinator, Action::ReferralPerson(&r)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&coordinator, Action::ViewReferral(&r)),
            Err(Denial::NotFound)
        );
        assert_eq!(authorize(&coordinator, Action::ViewReferralStats), Ok(()));
        assert_eq!(
            authorize(&stranger, Action::ViewReferral(&r)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&stranger, Action::ViewReferralStats),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&receiver, Action::ActAsReceiver(&r)), Ok(()));
        assert_eq!(
            authorize(&sender, Action::ActAsReceiver(&r)),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&sender, Action::ActAsSender(&r)), Ok(()));
        assert_eq!(
            authorize(&receiver, Action::ActAsSender(&r)),
            Err(Denial::Forbidden)
        );
        let token = Actor::ApiToken {
            token_id: 1,
            structure_id: 2,
        };
        assert_eq!(
            authorize(&token, Action::ReferralPerson(&r)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&token, Action::SendReferral),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&sender, Action::SendReferral), Ok(()));
        let entry = ReferentRef {
            structure: Some(5),
            represents: true,
            location: Location {
                departement: Some("29".into()),
                ..Location::default()
            },
        };
        let caf_agent = person(vec![member(5, Role::Membre)]);
        let scoped = |code: &str| {
            person(vec![Membership {
                structure_id: 99,
                role: Role::Coordinateur,
                scopes: vec![Scope {
                    level: ScopeLevel::Departement,
                    code: code.into(),
                }],
            }])
        };
        let (finistere, ille) = (scoped("29"), scoped("35"));
        assert_eq!(
            authorize(&caf_agent, Action::ManageReferent(&entry)),
            Ok(())
        );
        assert_eq!(
            authorize(&finistere, Action::ManageReferent(&entry)),
            Ok(())
        );
        assert_eq!(
            authorize(&ille, Action::ManageReferent(&entry)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&stranger, Action::ManageReferent(&entry)),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&stranger, Action::ViewReferents), Ok(()));
        // Proposing is the organisation's members'; vouching, the territory's.
        assert_eq!(
            authorize(&caf_agent, Action::ProposeReferent(&entry)),
            Ok(())
        );
        assert_eq!(
            authorize(&caf_agent, Action::ValidateReferent(&entry)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&finistere, Action::ValidateReferent(&entry)),
            Ok(())
        );
        assert_eq!(
            authorize(&ille, Action::ValidateReferent(&entry)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&stranger, Action::ProposeReferent(&entry)),
            Err(Denial::Forbidden)
        );
        // A centre social posing as the CAF: nobody may vouch for it.
        let posing = ReferentRef {
            represents: false,
            ..entry.clone()
        };
        for who in [&caf_agent, &finistere, &admin] {
            assert_eq!(
                authorize(who, Action::ProposeReferent(&posing)),
                Err(Denial::Forbidden)
            );
            assert_eq!(
                authorize(who, Action::ValidateReferent(&posing)),
                Err(Denial::Forbidden)
            );
        }
        // Erasure belongs to the structures holding the data.
        assert_eq!(authorize(&sender, Action::ErasePersonalData(&r)), Ok(()));
        assert_eq!(
            authorize(&admin, Action::ErasePersonalData(&r)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&stranger, Action::ErasePersonalData(&r)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&token, Action::ViewReferents),
            Err(Denial::Forbidden)
        );
        let hub_coordinator = person(vec![Membership {
            structure_id: 2,
            role: Role::Coordinateur,
            scopes: vec![],
        }]);
        assert_eq!(
            authorize(&hub_coordinator, Action::ViewReferral(&r)),
            Err(Denial::NotFound),
            "a coordinator of the receiving structure handles no referral"
        );
    }

    #[test]
    fn activity_figures_are_one_s_own_one_s_structure_s_or_one_s_territory_s() {
        let token = Actor::ApiToken {
            token_id: 7,
            structure_id: 3,
        };
        assert_eq!(
            activity_figures(&token),
            Ok(FiguresScope::Structures(vec![3])),
            "a machine client sees its structure's figures, never everyone's"
        );
        assert_eq!(
            activity_figures(&person(vec![member(3, Role::Membre)])),
            Ok(FiguresScope::Person(1))
        );
        assert_eq!(
            activity_figures(&person(vec![member(5, Role::Admin)])),
            Ok(FiguresScope::Everything)
        );
        let finistere = person(vec![
            coordinator(ScopeLevel::Departement, "29"),
            member(3, Role::Membre),
        ]);
        let scope = activity_figures(&finistere).unwrap();
        let located = |commune: Option<&str>, epci: Option<&str>, departement: &str| Location {
            commune: commune.map(str::to_string),
            epci: epci.map(str::to_string),
            departement: Some(departement.into()),
            region: Some("53".into()),
        };
        assert!(scope.covers(&located(None, None, "29")));
        assert!(!scope.covers(&located(None, None, "35")));
        assert!(!scope.is_own());
        // A région's coordinator opens every territory inside it, by its
        // ancestors, not by comparing codes of one level.
        let bretagne =
            activity_figures(&person(vec![coordinator(ScopeLevel::Region, "53")])).unwrap();
        for inside in [
            located(None, None, "29"),
            located(None, Some("200068120"), "29"),
            located(Some("29232"), Some("200068120"), "29"),
        ] {
            assert!(bretagne.covers(&inside), "{inside:?}");
        }
        let normandie = Location {
            departement: Some("14".into()),
            region: Some("28".into()),
            ..Location::default()
        };
        assert!(!bretagne.covers(&normandie));
        assert!(!scope.covers(&Location::default()), "nowhere is nobody's");
        assert_eq!(
            recording_structure(&finistere),
            Some(3),
            "records for where one works"
        );
        assert_eq!(recording_structure(&token), Some(3));
        assert_eq!(
            recording_structure(&person(vec![coordinator(ScopeLevel::Region, "53")])),
            None
        );
        let hub_without_territory = person(vec![Membership {
            structure_id: 2,
            role: Role::Coordinateur,
            scopes: vec![],
        }]);
        assert_eq!(
            activity_figures(&hub_without_territory),
            Ok(FiguresScope::Territories(vec![])),
            "no territory, nothing to see"
        );
        assert!(FiguresScope::Structures(vec![3]).is_own());
        assert!(!FiguresScope::Structures(vec![3]).covers(&Location {
            region: Some("53".into()),
            ..Location::default()
        }));
        assert_eq!(
            activity_figures(&Actor::Anonymous),
            Err(Denial::SignInRequired)
        );
        assert_eq!(activity_figures(&person(vec![])), Err(Denial::Forbidden));
    }

    #[test]
    fn open_data_is_for_everyone() {
        for actor in [
            Actor::Anonymous,
            person(vec![]),
            person(vec![member(5, Role::Membre)]),
        ] {
            assert_eq!(authorize(&actor, Action::ViewOpenData), Ok(()));
        }
    }

    #[test]
    fn a_regional_coordinator_covers_every_territory_inside_her_region() {
        let regional = person(vec![coordinator(ScopeLevel::Region, "53")]);
        let scope = territorial_scope(&regional);
        let finistere = Location {
            departement: Some("29".into()),
            region: Some("53".into()),
            ..Location::default()
        };
        let quimper_epci = Location {
            epci: Some("200068120".into()),
            departement: Some("29".into()),
            region: Some("53".into()),
            ..Location::default()
        };
        let loire = Location {
            departement: Some("44".into()),
            region: Some("52".into()),
            ..Location::default()
        };
        assert!(scope.covers(&finistere) && scope.covers(&quimper_epci));
        assert!(!scope.covers(&loire));
        let figures = activity_figures(&regional).unwrap();
        assert!(figures.covers(&finistere) && !figures.covers(&loire));
        let departmental =
            territorial_scope(&person(vec![coordinator(ScopeLevel::Departement, "29")]));
        let bretagne = Location {
            region: Some("53".into()),
            ..Location::default()
        };
        assert!(
            !departmental.covers(&bretagne),
            "a département's coordinator does not cover its région"
        );
        assert_eq!(
            territorial_scope(&person(vec![member(5, Role::Admin)])),
            TerritorialScope::Everywhere
        );
        assert!(territorial_scope(&person(vec![member(1, Role::Membre)])).is_empty());
        assert!(
            territorial_scope(&Actor::ApiToken {
                token_id: 1,
                structure_id: 1
            })
            .is_empty()
        );
    }

    #[test]
    fn anonymous_must_sign_in_for_everything() {
        let s = structure_in_quimper(1);
        for action in [
            Action::ViewOwnAccount,
            Action::ListStructures,
            Action::ViewStructure(&s),
            Action::ViewAuditTrail,
        ] {
            assert_eq!(
                authorize(&Actor::Anonymous, action),
                Err(Denial::SignInRequired)
            );
        }
    }

    #[test]
    fn admins_may_do_everything() {
        let admin = person(vec![member(5, Role::Admin)]);
        let s = structure_in_quimper(1);
        for action in [
            Action::ListStructures,
            Action::CreateStructure,
            Action::ViewStructure(&s),
            Action::ManageMembers(&s),
            Action::ManageApiTokens(&s),
            Action::GrantRole(&s, Role::Admin),
            Action::ViewAuditTrail,
            Action::ViewOutbox,
            Action::ImportPlaces,
        ] {
            assert_eq!(authorize(&admin, action), Ok(()), "{action:?}");
        }
    }

    #[test]
    fn members_see_their_structure_and_gestionnaires_manage_it() {
        let s = structure_in_quimper(1);
        let membre = person(vec![member(1, Role::Membre)]);
        assert_eq!(authorize(&membre, Action::ViewStructure(&s)), Ok(()));
        assert_eq!(
            authorize(&membre, Action::ManageMembers(&s)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&membre, Action::ListStructures),
            Err(Denial::Forbidden)
        );
        let gestionnaire = person(vec![member(1, Role::Gestionnaire)]);
        assert_eq!(authorize(&gestionnaire, Action::ManageMembers(&s)), Ok(()));
        assert_eq!(
            authorize(&gestionnaire, Action::ManageApiTokens(&s)),
            Ok(())
        );
        assert_eq!(authorize(&gestionnaire, Action::ManageSurveys(&s)), Ok(()));
        assert_eq!(
            authorize(&membre, Action::ManageSurveys(&s)),
            Err(Denial::Forbidden)
        );
        let elsewhere = person(vec![member(2, Role::Gestionnaire)]);
        assert_eq!(
            authorize(&elsewhere, Action::ManageSurveys(&s)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&gestionnaire, Action::ViewAuditTrail),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&gestionnaire, Action::GrantRole(&s, Role::Membre)),
            Ok(())
        );
        assert_eq!(
            authorize(&gestionnaire, Action::GrantRole(&s, Role::Gestionnaire)),
            Ok(())
        );
        assert_eq!(
            authorize(&gestionnaire, Action::GrantRole(&s, Role::Admin)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&gestionnaire, Action::GrantRole(&s, Role::Coordinateur)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&membre, Action::GrantRole(&s, Role::Membre)),
            Err(Denial::Forbidden)
        );
        // Another structure's members do not even learn it exists.
        let other = person(vec![member(2, Role::Gestionnaire)]);
        assert_eq!(
            authorize(&other, Action::ViewStructure(&s)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&other, Action::ManageMembers(&s)),
            Err(Denial::NotFound)
        );
    }

    #[test]
    fn coordinators_see_structures_of_their_territory_only() {
        let s = structure_in_quimper(1);
        for (level, code) in [
            (ScopeLevel::Region, "53"),
            (ScopeLevel::Departement, "29"),
            (ScopeLevel::Epci, "200068120"),
            (ScopeLevel::Commune, "29232"),
        ] {
            let c = person(vec![coordinator(level, code)]);
            assert_eq!(
                authorize(&c, Action::ViewStructure(&s)),
                Ok(()),
                "{level:?}"
            );
            assert_eq!(
                authorize(&c, Action::ManageMembers(&s)),
                Err(Denial::Forbidden)
            );
        }
        let elsewhere = person(vec![coordinator(ScopeLevel::Departement, "35")]);
        assert_eq!(
            authorize(&elsewhere, Action::ViewStructure(&s)),
            Err(Denial::NotFound)
        );
        let nowhere = StructureRef {
            id: 3,
            location: Location::default(),
        };
        let regional = person(vec![coordinator(ScopeLevel::Region, "53")]);
        assert_eq!(
            authorize(&regional, Action::ViewStructure(&nowhere)),
            Err(Denial::NotFound)
        );
    }

    #[test]
    fn places_are_edited_by_their_structure_and_coordinated_in_their_territory() {
        let place = PlaceRef {
            structures: vec![1],
            location: structure_in_quimper(0).location,
        };
        for role in [Role::Membre, Role::Gestionnaire] {
            assert_eq!(
                authorize(&person(vec![member(1, role)]), Action::EditPlace(&place)),
                Ok(())
            );
        }
        assert_eq!(
            authorize(
                &person(vec![member(2, Role::Gestionnaire)]),
                Action::EditPlace(&place)
            ),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&Actor::Anonymous, Action::EditPlace(&place)),
            Err(Denial::SignInRequired)
        );
        let scoped = |code: &str| {
            person(vec![Membership {
                structure_id: 99,
                role: Role::Coordinateur,
                scopes: vec![Scope {
                    level: ScopeLevel::Departement,
                    code: code.into(),
                }],
            }])
        };
        let (finistere, ille) = (scoped("29"), scoped("35"));
        assert_eq!(
            authorize(&finistere, Action::EditPlace(&place)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&finistere, Action::CoordinatePlace(&place)),
            Ok(())
        );
        assert_eq!(
            authorize(&ille, Action::CoordinatePlace(&place)),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&ille, Action::CoordinatePlaces), Ok(()));
        assert_eq!(
            authorize(
                &person(vec![member(1, Role::Membre)]),
                Action::CoordinatePlaces
            ),
            Err(Denial::Forbidden)
        );
        let token = Actor::ApiToken {
            token_id: 1,
            structure_id: 1,
        };
        assert_eq!(
            authorize(&token, Action::EditPlace(&place)),
            Err(Denial::Forbidden)
        );
    }

    #[test]
    fn api_tokens_read_their_structure_and_manage_nothing() {
        let s = structure_in_quimper(1);
        let token = Actor::ApiToken {
            token_id: 7,
            structure_id: 1,
        };
        assert_eq!(authorize(&token, Action::ViewStructure(&s)), Ok(()));
        assert_eq!(
            authorize(&token, Action::ManageMembers(&s)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&token, Action::ManageApiTokens(&s)),
            Err(Denial::Forbidden)
        );
        let other = Actor::ApiToken {
            token_id: 8,
            structure_id: 2,
        };
        assert_eq!(
            authorize(&other, Action::ViewStructure(&s)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&other, Action::ViewAuditTrail),
            Err(Denial::Forbidden)
        );
    }

    #[test]
    fn the_network_is_for_professionals_and_animated_by_its_animators() {
        let professional = person(vec![member(1, Role::Membre)]);
        let coordinating = |id: i64, code: &str| Actor::Person {
            person_id: id,
            memberships: vec![coordinator(ScopeLevel::Departement, code)],
        };
        let (coord, other_coord) = (coordinating(7, "29"), coordinating(8, "35"));
        let token = Actor::ApiToken {
            token_id: 1,
            structure_id: 1,
        };
        for action in [Action::ViewNetwork, Action::TakePartInNetwork] {
            assert_eq!(authorize(&professional, action), Ok(()));
            assert_eq!(
                authorize(&Actor::Anonymous, action),
                Err(Denial::SignInRequired)
            );
            assert_eq!(authorize(&token, action), Err(Denial::Forbidden));
        }
        assert_eq!(
            authorize(&Actor::Anonymous, Action::ViewOpportunities),
            Ok(())
        );
        assert_eq!(
            authorize(&professional, Action::CreateNetwork),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&coord, Action::CreateNetwork), Ok(()));
        assert_eq!(
            authorize(&professional, Action::ModerateNetwork),
            Err(Denial::Forbidden)
        );
        // Person 1 animates the network; person 2 is a member.
        let network = NetworkRef {
            animators: vec![1],
            members: vec![1, 2],
        };
        let member_2 = Actor::Person {
            person_id: 2,
            memberships: vec![member(1, Role::Membre)],
        };
        let stranger = Actor::Person {
            person_id: 3,
            memberships: vec![member(1, Role::Membre)],
        };
        assert_eq!(
            authorize(&professional, Action::AnimateNetwork(&network)),
            Ok(())
        );
        assert_eq!(
            authorize(&member_2, Action::AnimateNetwork(&network)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&professional, Action::PublishEvent(Some(&network))),
            Ok(())
        );
        assert_eq!(
            authorize(&professional, Action::PublishEvent(None)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&member_2, Action::PublishEvent(Some(&network))),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&coord, Action::PublishEvent(None)), Ok(()));
        let in_quimper = structure_in_quimper(1).location;
        let network_event = EventRef {
            organiser: Some(9),
            open_to: OpenTo::NetworkMembers,
            network: Some(network.clone()),
            location: in_quimper.clone(),
        };
        assert_eq!(
            authorize(&member_2, Action::ViewEvent(&network_event)),
            Ok(())
        );
        assert_eq!(
            authorize(&member_2, Action::RegisterForEvent(&network_event)),
            Ok(())
        );
        assert_eq!(
            authorize(&stranger, Action::ViewEvent(&network_event)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&stranger, Action::RegisterForEvent(&network_event)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&member_2, Action::ManageEvent(&network_event)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&professional, Action::ManageEvent(&network_event)),
            Ok(()),
            "animator"
        );
        assert_eq!(
            authorize(&coord, Action::ManageEvent(&network_event)),
            Ok(()),
            "its territory"
        );
        assert_eq!(
            authorize(&other_coord, Action::ManageEvent(&network_event)),
            Err(Denial::Forbidden)
        );
        let open = EventRef {
            open_to: OpenTo::Everyone,
            network: None,
            ..network_event.clone()
        };
        assert_eq!(
            authorize(&Actor::Anonymous, Action::ViewEvent(&open)),
            Ok(())
        );
        assert_eq!(
            authorize(&Actor::Anonymous, Action::RegisterForEvent(&open)),
            Err(Denial::SignInRequired)
        );
        assert_eq!(
            authorize(&token, Action::RegisterForEvent(&open)),
            Err(Denial::Forbidden)
        );
        let public = ResourceRef {
            author: Some(2),
            public: true,
            hidden: false,
        };
        let hidden = ResourceRef {
            hidden: true,
            ..public
        };
        let members_only = ResourceRef {
            public: false,
            ..public
        };
        assert_eq!(
            authorize(&Actor::Anonymous, Action::ViewResource(&public)),
            Ok(())
        );
        assert_eq!(
            authorize(&Actor::Anonymous, Action::ViewResource(&members_only)),
            Err(Denial::SignInRequired)
        );
        assert_eq!(
            authorize(&stranger, Action::ViewResource(&members_only)),
            Ok(())
        );
        assert_eq!(
            authorize(&stranger, Action::ViewResource(&hidden)),
            Err(Denial::NotFound)
        );
        assert_eq!(
            authorize(&member_2, Action::ViewResource(&hidden)),
            Ok(()),
            "its author"
        );
        assert_eq!(authorize(&coord, Action::ViewResource(&hidden)), Ok(()));
        assert_eq!(
            authorize(&stranger, Action::EditResource(&public)),
            Err(Denial::Forbidden)
        );
        assert_eq!(authorize(&member_2, Action::EditResource(&public)), Ok(()));
        assert_eq!(
            authorize(&coord, Action::EditResource(&public)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&coord, Action::AnimateNetwork(&network)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&member_2, Action::EditOpportunity(Some(2), &in_quimper)),
            Ok(())
        );
        assert_eq!(
            authorize(&stranger, Action::EditOpportunity(Some(2), &in_quimper)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            authorize(&coord, Action::EditOpportunity(None, &in_quimper)),
            Ok(())
        );
        assert_eq!(
            authorize(&other_coord, Action::EditOpportunity(None, &in_quimper)),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            network_figures(&coord),
            Ok(FiguresScope::Territories(vec![Scope {
                level: ScopeLevel::Departement,
                code: "29".into()
            }]))
        );
        assert_eq!(network_figures(&professional), Err(Denial::Forbidden));
        assert_eq!(network_figures(&token), Err(Denial::Forbidden));
        assert_eq!(
            network_figures(&Actor::Anonymous),
            Err(Denial::SignInRequired)
        );
    }

    #[test]
    fn who_works_where_and_who_vouches() {
        let person = |role, structure_id| Actor::Person {
            person_id: 1,
            memberships: vec![Membership {
                structure_id,
                role,
                scopes: vec![],
            }],
        };
        assert!(works_in(&person(Role::Membre, 7), 7));
        assert!(works_in(&person(Role::Gestionnaire, 7), 7));
        assert!(!works_in(&person(Role::Membre, 7), 8));
        assert!(!works_in(&person(Role::Coordinateur, 7), 7));
        assert!(!works_in(&Actor::Anonymous, 7));
        assert!(vouches_for_referents(&person(Role::Coordinateur, 7)));
        assert!(vouches_for_referents(&person(Role::Admin, 7)));
        assert!(!vouches_for_referents(&person(Role::Gestionnaire, 7)));
        assert!(!vouches_for_referents(&Actor::Anonymous));
    }
}

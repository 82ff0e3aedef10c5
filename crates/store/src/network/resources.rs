//! The ressourcerie: resources shared as a link or a file (kept in the
//! database, in `network_resource_files`, so that every server reads the
//! same), "utile" marks, moderation.

use chrono::{DateTime, Utc};
use passerelle_accounts::policy::ResourceRef;
use passerelle_network::resources::{Content, FileKind, Resource};
use passerelle_network::vocab::{
    Licence, Public, ResourceFormat, Theme, Visibility, join_publics, join_themes, split_publics,
    split_themes,
};
use passerelle_territory::search::search_key;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Member, Param, bind_all, coded, corrupt, instant};
use crate::referrals::iso;
use crate::{Database, StoreError};

/// A kept file, as lists describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub kind: FileKind,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub themes: Vec<Theme>,
    pub publics: Vec<Public>,
    pub format: ResourceFormat,
    pub licence: Licence,
    pub visibility: Visibility,
    pub link: Option<String>,
    pub file: Option<FileInfo>,
    pub author_id: Option<i64>,
    pub author: Option<String>,
    pub structure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub hidden: bool,
    pub featured: bool,
    /// How many found it useful.
    pub useful: i64,
    /// Whether the viewer did.
    pub marked: bool,
}

impl ResourceView {
    pub fn policy(&self) -> ResourceRef {
        ResourceRef {
            author: self.author_id,
            public: self.visibility == Visibility::Public,
            hidden: self.hidden,
        }
    }
}

/// What a list of resources shows.
#[derive(Debug, Clone, Default)]
pub struct ResourceQuery {
    /// Words of the title or description.
    pub text: Option<String>,
    pub theme: Option<Theme>,
    pub public: Option<Public>,
    pub format: Option<ResourceFormat>,
    /// Signed-in professionals see the members' resources too.
    pub members: bool,
    /// Moderators see hidden ones; their authors see their own.
    pub hidden: bool,
    pub viewer: Option<i64>,
}

/// A coordinator's decision on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Hide,
    Show,
    Feature,
    Unfeature,
}

impl Moderation {
    fn audit(self) -> &'static str {
        match self {
            Self::Hide => "network.resource_hidden",
            Self::Show => "network.resource_shown",
            Self::Feature => "network.resource_featured",
            Self::Unfeature => "network.resource_unfeatured",
        }
    }
}

const RESOURCE_SELECT: &str = "SELECT x.id, x.title, x.description, x.themes, x.publics, x.format, x.licence, \
     x.visibility, x.link, x.file_name, x.file_type, x.file_size, x.author_id, p.display_name AS author_name, \
     s.nom AS structure_nom, x.created_at, x.hidden_at, x.featured_at, \
     (SELECT COUNT(*) FROM network_resource_marks m WHERE m.resource_id = x.id) AS useful, \
     (SELECT COUNT(*) FROM network_resource_marks m WHERE m.resource_id = x.id AND m.person_id = $1) AS marked \
     FROM network_resources x LEFT JOIN people p ON p.id = x.author_id LEFT JOIN structures s ON s.id = x.structure_id";

fn resource_from(r: &AnyRow) -> Result<ResourceView, StoreError> {
    let file_type: Option<String> = r.try_get("file_type")?;
    let file = match file_type {
        Some(t) => Some(FileInfo {
            kind: FileKind::from_mime(&t).ok_or_else(|| corrupt("file_type", &t))?,
            name: r
                .try_get::<Option<String>, _>("file_name")?
                .unwrap_or_default(),
            size: r
                .try_get::<Option<i64>, _>("file_size")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    let hidden: Option<String> = r.try_get("hidden_at")?;
    let featured: Option<String> = r.try_get("featured_at")?;
    let marked: i64 = r.try_get("marked")?;
    Ok(ResourceView {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        themes: coded(r, "themes", |t| split_themes(t).ok())?,
        publics: coded(r, "publics", |t| split_publics(t).ok())?,
        format: coded(r, "format", ResourceFormat::parse)?,
        licence: coded(r, "licence", Licence::parse)?,
        visibility: coded(r, "visibility", Visibility::parse)?,
        link: r.try_get("link")?,
        file,
        author_id: r.try_get("author_id")?,
        author: r.try_get("author_name")?,
        structure: r.try_get("structure_nom")?,
        created_at: instant(r, "created_at")?,
        hidden: hidden.is_some(),
        featured: featured.is_some(),
        useful: r.try_get("useful")?,
        marked: marked > 0,
    })
}

impl Database {
    pub async fn resource(
        &self,
        id: i64,
        viewer: Option<i64>,
    ) -> Result<Option<ResourceView>, StoreError> {
        let sql = format!("{RESOURCE_SELECT} WHERE x.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(viewer.unwrap_or(0))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(resource_from).transpose()
    }

    /// Resources matching `q`: featured first, then the newest.
    pub async fn resources(&self, q: &ResourceQuery) -> Result<Vec<ResourceView>, StoreError> {
        let mut params = vec![Param::Int(q.viewer.unwrap_or(0))];
        let mut clauses = Vec::new();
        if !q.members {
            clauses.push("x.visibility = 'public'".to_string());
        }
        if !q.hidden {
            params.push(Param::Int(q.viewer.unwrap_or(0)));
            clauses.push(format!(
                "(x.hidden_at IS NULL OR x.author_id = ${})",
                params.len()
            ));
        }
        for word in q
            .text
            .as_deref()
            .map(search_key)
            .unwrap_or_default()
            .split(' ')
        {
            if !word.is_empty() {
                params.push(Param::Text(format!("% {word}%")));
                clauses.push(format!("(' ' || x.search_key) LIKE ${}", params.len()));
            }
        }
        let listed = [
            q.theme.map(|t| ("themes", t.code())),
            q.public.map(|p| ("publics", p.code())),
        ];
        for (col, code) in listed.into_iter().flatten() {
            params.push(Param::Text(format!("%|{code}|%")));
            clauses.push(format!("('|' || x.{col} || '|') LIKE ${}", params.len()));
        }
        if let Some(f) = q.format {
            params.push(Param::Text(f.code().into()));
            clauses.push(format!("x.format = ${}", params.len()));
        }
        let filter = if clauses.is_empty() {
            "1 = 1".to_string()
        } else {
            clauses.join(" AND ")
        };
        let sql = format!(
            "{RESOURCE_SELECT} WHERE {filter} ORDER BY CASE WHEN x.featured_at IS NULL THEN 1 ELSE 0 END, \
             x.created_at DESC, x.id DESC LIMIT 200"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(resource_from).collect()
    }

    /// Shares a resource; its file, if any, is kept in the database.
    pub async fn share_resource(
        &self,
        acting: &Member,
        structure: Option<i64>,
        r: &Resource,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.write(&acting.acting, async |w| {
            let at = iso(now);
            let (link, file) = match &r.content {
                Content::Link(l) => (Some(l.clone()), None),
                Content::File(a) => (None, Some(a)),
            };
            let row = sqlx::query(
                "INSERT INTO network_resources (title, description, search_key, themes, publics, format, licence, \
                 visibility, link, file_name, file_type, file_size, author_id, structure_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
            )
            .bind(r.title.clone())
            .bind(r.description.clone())
            .bind(search_key(&format!("{} {}", r.title, r.description)))
            .bind(join_themes(&r.themes))
            .bind(join_publics(&r.publics))
            .bind(r.format.code())
            .bind(r.licence.code())
            .bind(r.visibility.code())
            .bind(link)
            .bind(file.map(|f| f.name.clone()))
            .bind(file.map(|f| f.kind.mime()))
            .bind(file.map(|f| f.bytes.len() as i64))
            .bind(acting.person_id)
            .bind(structure)
            .bind(at)
            .fetch_one(w.conn())
            .await?;
            let id: i64 = row.try_get("id")?;
            if let Some(f) = file {
                sqlx::query("INSERT INTO network_resource_files (resource_id, bytes) VALUES ($1, $2)")
                    .bind(id)
                    .bind(f.bytes.clone())
                    .execute(w.conn())
                    .await?;
            }
            w.audit("network.resource_shared", None, Some(format!("resource:{id}")), Some(r.title.clone()))
            .await?;
            Ok(id)
        })
        .await
    }

    /// A resource's file: its kind, name and content.
    pub async fn resource_file(
        &self,
        id: i64,
    ) -> Result<Option<(FileKind, String, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT x.file_type, x.file_name, f.bytes FROM network_resources x \
             JOIN network_resource_files f ON f.resource_id = x.id WHERE x.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok((
                coded(&r, "file_type", FileKind::from_mime)?,
                r.try_get::<Option<String>, _>("file_name")?
                    .unwrap_or_default(),
                r.try_get("bytes")?,
            ))
        })
        .transpose()
    }

    /// Marks (or unmarks) a resource as useful to a person.
    pub async fn mark_resource(
        &self,
        acting: &Member,
        id: i64,
        useful: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(&acting.acting, async |w| {
            let changed = if useful {
                sqlx::query(
                    "INSERT INTO network_resource_marks (resource_id, person_id, at) VALUES ($1, $2, $3) \
                     ON CONFLICT (resource_id, person_id) DO NOTHING",
                )
                .bind(id)
                .bind(acting.person_id)
                .bind(iso(now))
                .execute(w.conn())
                .await?
            } else {
                sqlx::query(
                    "DELETE FROM network_resource_marks WHERE resource_id = $1 AND person_id = $2",
                )
                .bind(id)
                .bind(acting.person_id)
                .execute(w.conn())
                .await?
            };
            if changed.rows_affected() > 0 {
                let action = if useful {
                    "network.resource_marked"
                } else {
                    "network.resource_unmarked"
                };
                w.audit(action, None, Some(format!("resource:{id}")), None)
                .await?;
            }
            Ok(())
        })
        .await
    }

    /// A coordinator hides, shows, features or unfeatures a resource.
    pub async fn moderate_resource(
        &self,
        acting: &Member,
        id: i64,
        decision: Moderation,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = match decision {
            Moderation::Hide => {
                "UPDATE network_resources SET hidden_at = $1, featured_at = NULL WHERE id = $2"
            }
            Moderation::Show => {
                "UPDATE network_resources SET hidden_at = NULL WHERE id = $2 AND $1 <> ''"
            }
            Moderation::Feature => {
                "UPDATE network_resources SET featured_at = $1 WHERE id = $2 AND hidden_at IS NULL"
            }
            Moderation::Unfeature => {
                "UPDATE network_resources SET featured_at = NULL WHERE id = $2 AND $1 <> ''"
            }
        };
        self.write(&acting.acting, async |w| {
            let done = sqlx::query(sql)
                .bind(iso(now))
                .bind(id)
                .execute(w.conn())
                .await?
                .rows_affected()
                == 1;
            if done {
                w.audit(decision.audit(), None, Some(format!("resource:{id}")), None)
                    .await?;
            }
            Ok(done)
        })
        .await
    }

    /// Deletes a resource, its file and its marks.
    pub async fn delete_resource(&self, acting: &Member, id: i64) -> Result<bool, StoreError> {
        self.write(&acting.acting, async |w| {
            sqlx::query("DELETE FROM network_resource_files WHERE resource_id = $1")
                .bind(id)
                .execute(w.conn())
                .await?;
            sqlx::query("DELETE FROM network_resource_marks WHERE resource_id = $1")
                .bind(id)
                .execute(w.conn())
                .await?;
            let done = sqlx::query("DELETE FROM network_resources WHERE id = $1")
                .bind(id)
                .execute(w.conn())
                .await?
                .rows_affected()
                == 1;
            if done {
                w.audit(
                    "network.resource_deleted",
                    None,
                    Some(format!("resource:{id}")),
                    None,
                )
                .await?;
            }
            Ok(done)
        })
        .await
    }
}

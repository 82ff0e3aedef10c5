//! The ressourcerie collaborative: members share a link or a file (PDF,
//! OpenDocument text, images) with a title, description, themes, publics,
//! format and licence. Others mark them "utile"; coordinators hide or
//! feature them; public ones are readable without signing in.
//!
//! A file's kind is read from its content (magic numbers, through the
//! `infer` crate), never from the name or type the browser sent, and only
//! the kinds below are kept; it is then served with that kind's type.

use crate::check::Checks;
use crate::vocab::{Licence, Public, ResourceFormat, Theme, Visibility, chosen};
use crate::{Problem, Rule};

/// The largest file kept: 10 Mio (a guide in PDF, a photo).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Odt,
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl FileKind {
    pub const ALL: [FileKind; 6] = [
        Self::Pdf,
        Self::Odt,
        Self::Png,
        Self::Jpeg,
        Self::Webp,
        Self::Gif,
    ];

    /// The media type served, and stored.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Odt => "odt",
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Gif => "gif",
        }
    }

    /// What people read: "PDF", "texte OpenDocument", "image PNG".
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Odt => "texte OpenDocument (ODT)",
            Self::Png => "image PNG",
            Self::Jpeg => "image JPEG",
            Self::Webp => "image WebP",
            Self::Gif => "image GIF",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.mime() == mime)
    }

    /// Shown in the browser (images, PDF) rather than downloaded.
    pub fn inline(self) -> bool {
        !matches!(self, Self::Odt)
    }

    /// The kind of a file from its first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if infer::archive::is_pdf(bytes) {
            Some(Self::Pdf)
        } else if infer::odf::is_odt(bytes) {
            Some(Self::Odt)
        } else if infer::image::is_png(bytes) {
            Some(Self::Png)
        } else if infer::image::is_jpeg(bytes) {
            Some(Self::Jpeg)
        } else if infer::image::is_webp(bytes) {
            Some(Self::Webp)
        } else if infer::image::is_gif(bytes) {
            Some(Self::Gif)
        } else {
            None
        }
    }
}

/// A file as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A file kept: its kind read from the content, a clean name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// The name a file is kept and served under: the uploaded name without
/// folders or control characters, at most 120 characters, ending with
/// the extension of its real kind.
pub fn clean_name(name: &str, kind: FileKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let base: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect();
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim().to_string(),
        _ if !base.trim().is_empty() && !base.trim().starts_with('.') => base.trim().to_string(),
        _ => "document".to_string(),
    };
    let stem: String = stem.chars().take(110).collect();
    format!("{stem}.{}", kind.extension())
}

/// Checks an uploaded file.
pub fn check_file(upload: Upload) -> Result<Attachment, Rule> {
    if upload.bytes.len() > MAX_FILE_BYTES {
        return Err(Rule::FileTooLarge(MAX_FILE_BYTES));
    }
    let kind = FileKind::sniff(&upload.bytes).ok_or(Rule::FileKind)?;
    Ok(Attachment {
        name: clean_name(&upload.name, kind),
        kind,
        bytes: upload.bytes,
    })
}

/// A resource as shared, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub title: String,
    pub description: String,
    pub themes: Vec<Theme>,
    pub publics: Vec<Public>,
    pub format: ResourceFormat,
    pub licence: Licence,
    pub visibility: Visibility,
    pub content: Content,
}

/// What a resource is: a link, or a file kept by Passerelle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Link(String),
    File(Attachment),
}

#[derive(Debug, Clone, Default)]
pub struct ResourceDraft {
    pub title: String,
    pub description: String,
    pub themes: Vec<String>,
    pub publics: Vec<String>,
    pub format: String,
    pub licence: String,
    pub visibility: String,
    pub link: String,
    pub file: Option<Upload>,
}

impl TryFrom<ResourceDraft> for Resource {
    type Error = Vec<Problem>;

    fn try_from(d: ResourceDraft) -> Result<Self, Self::Error> {
        let mut c = Checks::default();
        let title = c.text("titre", &d.title, 150);
        let description = c.text("description", &d.description, 4000);
        let themes = listed(&mut c, "themes", &d.themes, Theme::ALL, Theme::code);
        let publics = listed(&mut c, "publics", &d.publics, Public::ALL, Public::code);
        let format = ResourceFormat::parse(&d.format).unwrap_or_else(|| {
            c.add("format", Rule::NotInList);
            ResourceFormat::FichePratique
        });
        let licence = Licence::parse(&d.licence).unwrap_or_else(|| {
            c.add("licence", Rule::NotInList);
            Licence::Reserves
        });
        let visibility = Visibility::parse(&d.visibility).unwrap_or_else(|| {
            c.add("visibilite", Rule::NotInList);
            Visibility::Members
        });
        let link = c.link("lien", &d.link);
        let file = d.file.filter(|f| !f.bytes.is_empty() || !f.name.is_empty());
        let content = match (link, file) {
            (Some(link), None) => Content::Link(link),
            (None, Some(file)) => match check_file(file) {
                Ok(a) => Content::File(a),
                Err(rule) => {
                    c.add("fichier", rule);
                    Content::Link(String::new())
                }
            },
            _ => {
                c.add("fichier", Rule::LinkOrFile);
                Content::Link(String::new())
            }
        };
        c.done(Resource {
            title,
            description,
            themes,
            publics,
            format,
            licence,
            visibility,
            content,
        })
    }
}

/// At least one value of a closed list.
fn listed<T: Copy + PartialEq>(
    c: &mut Checks,
    field: &'static str,
    codes: &[String],
    all: &[T],
    code: fn(T) -> &'static str,
) -> Vec<T> {
    match chosen(codes, all, code) {
        Ok(v) if v.is_empty() => {
            c.add(field, Rule::Missing);
            v
        }
        Ok(v) => v,
        Err(rule) => {
            c.add(field, rule);
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];

    fn odt() -> Vec<u8> {
        // A ZIP whose first entry, stored, is `mimetype` (ODF 1.2 part 3 §3.3).
        let mut bytes = vec![b'P', b'K', 3, 4];
        bytes.extend([0u8; 22]);
        bytes.extend([8, 0, 0, 0]);
        bytes.extend(b"mimetype");
        bytes.extend(b"application/vnd.oasis.opendocument.text");
        bytes.extend([0u8; 64]);
        bytes
    }

    #[test]
    fn files_are_known_by_their_content() {
        assert_eq!(FileKind::sniff(PDF), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(PNG), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(&odt()), Some(FileKind::Odt));
        assert_eq!(FileKind::sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(FileKind::sniff(b"MZ\x90\x00"), None);
        let renamed = check_file(Upload {
            name: "C:\\Mes documents\\guide.exe".into(),
            bytes: PDF.to_vec(),
        })
        .unwrap();
        assert_eq!(
            (renamed.kind, renamed.name.as_str()),
            (FileKind::Pdf, "guide.pdf")
        );
        assert_eq!(
            check_file(Upload {
                name: "page.pdf".into(),
                bytes: b"<svg onload=alert(1)>".to_vec()
            }),
            Err(Rule::FileKind)
        );
        let mut big = PDF.to_vec();
        big.resize(MAX_FILE_BYTES + 1, 0);
        assert_eq!(
            check_file(Upload {
                name: "gros.pdf".into(),
                bytes: big
            }),
            Err(Rule::FileTooLarge(MAX_FILE_BYTES))
        );
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd", FileKind::Png), "passwd.png");
        assert_eq!(
            clean_name("Fiche \"IA\".odt", FileKind::Odt),
            "Fiche IA.odt"
        );
        assert_eq!(clean_name(".htaccess", FileKind::Pdf), "document.pdf");
        assert_eq!(clean_name("", FileKind::Jpeg), "document.jpg");
        assert_eq!(clean_name("photo.JPEG", FileKind::Jpeg), "photo.jpg");
    }

    fn draft() -> ResourceDraft {
        ResourceDraft {
            title: "Fiche : créer son adresse électronique".into(),
            description: "Pas à pas illustré pour un atelier débutant.".into(),
            themes: vec!["usages-quotidien".into()],
            publics: vec!["grand-public".into()],
            format: "fiche".into(),
            licence: "cc-by-sa".into(),
            visibility: "public".into(),
            link: "https://exemple.org/fiche".into(),
            file: None,
        }
    }

    #[test]
    fn a_resource_is_a_link_or_a_file() {
        let r = Resource::try_from(draft()).unwrap();
        assert_eq!(r.content, Content::Link("https://exemple.org/fiche".into()));
        let with_file = Resource::try_from(ResourceDraft {
            link: String::new(),
            file: Some(Upload {
                name: "fiche.pdf".into(),
                bytes: PDF.to_vec(),
            }),
            ..draft()
        })
        .unwrap();
        assert!(matches!(with_file.content, Content::File(ref a) if a.kind == FileKind::Pdf));
        let both = Resource::try_from(ResourceDraft {
            file: Some(Upload {
                name: "fiche.pdf".into(),
                bytes: PDF.to_vec(),
            }),
            ..draft()
        })
        .unwrap_err();
        assert_eq!(both, vec![Problem::new("fichier", Rule::LinkOrFile)]);
        let empty = Resource::try_from(ResourceDraft::default()).unwrap_err();
        let fields: Vec<_> = empty.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "titre",
                "description",
                "themes",
                "publics",
                "format",
                "licence",
                "visibilite",
                "fichier"
            ]
        );
    }
}

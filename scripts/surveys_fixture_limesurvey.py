"""Builds tests/fixtures/surveys/limesurvey-*: a survey structure (.lss) and
its responses exported as CSV, codes and full answers, in the shapes
LimeSurvey writes them (LimeSurvey/LimeSurvey: the .lss writer
surveyGetXMLStructure/buildXMLFromQuery of application/helpers/export_helper.php
at fd49b4a; the CSV writer application/helpers/admin/export/CsvWriter.php at
d23a8dc with Writer.php at a0f5c4d and SurveyObj.php at 410d71a).

.lss: one element per table, `fields` then `rows` of `row`, each non-null
column as an element with CDATA, empty strings as empty elements; the
LimeSurvey 4+ tables (questions, subquestions, question_l10ns, answers,
answer_l10ns, groups, group_l10ns, question_attributes, surveys,
surveys_languagesettings); relevance equations as LimeSurvey derives them
from conditions. CSV: UTF-8 BOM, every value between double quotes,
CRLF, a last empty line; headings by question code (CODE, CODE[SQ001],
CODE[other]); short answers are codes, `Y` or empty for a multiple
choice; full answers are labels, "Oui"/"Non" for a multiple choice,
"Autre" for -oth-.

Standard library only; deterministic (seed 16)."""
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests/fixtures/surveys"
SID = "416283"
LANG = "fr"

groups = [
    (10, 1, "Votre structure", ""),
    (11, 2, "Vos accompagnements", ""),
]
# qid, gid, type, title, order, other, mandatory, relevance, text, help
questions = [
    (101, 10, "L", "G01Q01", 1, "Y", "Y", "1", "<p>Type de structure</p>", ""),
    (102, 10, "M", "G01Q02", 2, "Y", "N", "1", "Publics accueillis", "Plusieurs réponses possibles."),
    (103, 10, "N", "G01Q03", 3, "N", "N", "1", "Nombre de médiateurs", ""),
    (104, 11, "5", "G02Q01", 1, "N", "N", "1", "Satisfaction d&#039;ensemble", ""),
    (105, 11, "F", "G02Q02", 2, "N", "N", '((G01Q01.NAOK == "A1" or G01Q01.NAOK == "A2"))',
     "Fréquence des demandes", ""),
    (106, 11, "A", "G02Q03", 3, "N", "N", "((G01Q02_SQ002.NAOK == \"Y\"))", "Aisance des publics", ""),
    (107, 11, "Y", "G02Q04", 4, "N", "N", "((G02Q01.NAOK >= 4))", "Recommanderiez-vous ?", ""),
    (108, 11, "T", "G02Q05", 5, "N", "N", "1", "Commentaires", ""),
    (109, 11, "S", "G02Q06", 6, "N", "N", "(!is_empty(G02Q05.NAOK) and G01Q03.NAOK > 2)",
     "Précisez", ""),
]
subquestions = [
    (201, 102, "SQ001", 1, "Jeunes"), (202, 102, "SQ002", 2, "Seniors"),
    (203, 102, "SQ003", 3, "Familles"),
    (211, 105, "SQ001", 1, "Démarches en ligne"), (212, 105, "SQ002", 2, "Matériel"),
    (221, 106, "SQ001", 1, "Ordinateur"), (222, 106, "SQ002", 2, "Téléphone"),
]
answers = [
    (301, 101, "A1", 1, "CCAS"), (302, 101, "A2", 2, "Médiathèque"), (303, 101, "A3", 3, "Association"),
    (311, 105, "F1", 1, "Jamais"), (312, 105, "F2", 2, "Parfois"), (313, 105, "F3", 3, "Souvent"),
]
attributes = [(101, "other_replace_text", "Autre structure", LANG), (103, "num_value_int_only", "1", "")]


def cdata(v):
    return f"<![CDATA[{v}]]>"


def table(name, fields, rows):
    out = [f" <{name}>", "  <fields>"]
    out += [f"   <fieldname>{f}</fieldname>" for f in fields]
    out += ["  </fields>", "  <rows>"]
    for row in rows:
        out.append("   <row>")
        for f, v in zip(fields, row):
            if v is None:
                continue
            out.append(f"    <{f}/>" if v == "" else f"    <{f}>{cdata(v)}</{f}>")
        out.append("   </row>")
    out += ["  </rows>", f" </{name}>"]
    return out


def lss():
    q_fields = ["qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other", "mandatory",
                "encrypted", "question_order", "scale_id", "same_default", "relevance",
                "question_theme_name", "modulename"]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<document>",
             " <LimeSurveyDocType>Survey</LimeSurveyDocType>", " <DBVersion>485</DBVersion>",
             " <languages>", f"  <language>{LANG}</language>", " </languages>"]
    lines += table("answers", ["aid", "qid", "code", "sortorder", "assessment_value", "scale_id"],
                   [(a, q, c, o, "0", "0") for a, q, c, o, _ in answers])
    lines += table("answer_l10ns", ["id", "aid", "answer", "language"],
                   [(a, a, t, LANG) for a, _, _, _, t in answers])
    lines += table("groups", ["gid", "sid", "group_order", "randomization_group", "grelevance"],
                   [(g, SID, o, "", "") for g, o, _, _ in groups])
    lines += table("group_l10ns", ["id", "gid", "group_name", "description", "language"],
                   [(g, g, n, d, LANG) for g, _, n, d in groups])
    lines += table("questions", q_fields,
                   [(q, "0", SID, g, t, ti, None, o, m, "N", order, "0", "0", rel, "", None)
                    for q, g, t, ti, order, o, m, rel, _, _ in questions])
    parent_gid = {q[0]: q[1] for q in questions}
    lines += table("subquestions", q_fields,
                   [(s, p, SID, parent_gid[p], "T", ti, None, "N", "N", "N", o, "0", "0", "1", None, None)
                    for s, p, ti, o, _ in subquestions])
    lines += table("question_l10ns", ["id", "qid", "question", "help", "script", "language"],
                   [(q[0], q[0], q[8], q[9], "", LANG) for q in questions]
                   + [(s, s, t, "", "", LANG) for s, _, _, _, t in subquestions])
    lines += table("question_attributes", ["qid", "attribute", "value", "language"], attributes)
    lines += table("surveys", ["sid", "gsid", "admin", "language", "additional_languages", "anonymized"],
                   [(SID, "1", "Hub", LANG, "", "Y")])
    lines += table("surveys_languagesettings",
                   ["surveyls_survey_id", "surveyls_language", "surveyls_title", "surveyls_description"],
                   [(SID, LANG, "Enquête médiation numérique 2025", "<p>Questionnaire d&#039;essai</p>")])
    lines.append("</document>")
    return "\n".join(lines) + "\n"


def respondents(n, rng):
    rows = []
    for i in range(1, n + 1):
        r = {}
        kind = rng.choice(["A1", "A2", "A3", "-oth-"])
        r["G01Q01"] = kind
        r["G01Q01[other]"] = "Tiers-lieu" if kind == "-oth-" else ""
        publics = {sq: rng.random() < 0.5 for sq in ["SQ001", "SQ002", "SQ003"]}
        other_public = rng.random() < 0.15
        answered = any(publics.values()) or other_public
        for sq, chosen in publics.items():
            r[f"G01Q02[{sq}]"] = "Y" if chosen else ""
        r["G01Q02[other]"] = "Personnes détenues" if other_public else ""
        r["G01Q03"] = "" if rng.random() < 0.1 else str(rng.randint(1, 6))
        sat = "" if rng.random() < 0.05 else str(rng.randint(1, 5))
        r["G02Q01"] = sat
        shown = kind in ("A1", "A2")
        for sq in ["SQ001", "SQ002"]:
            r[f"G02Q02[{sq}]"] = rng.choice(["F1", "F2", "F3"]) if shown else ""
        for sq in ["SQ001", "SQ002"]:
            r[f"G02Q03[{sq}]"] = str(rng.randint(1, 5)) if publics["SQ002"] else ""
        r["G02Q04"] = rng.choice(["Y", "N"]) if sat and int(sat) >= 4 else ""
        r["G02Q05"] = rng.choice(["", "", "Très utile, merci.", 'Il manque "du temps"\nsurtout le samedi'])
        r["G02Q06"] = "Samedi" if r["G02Q05"] and r["G01Q03"] and int(r["G01Q03"]) > 2 else ""
        meta = {
            "id": str(i), "submitdate": f"2025-03-{1 + i % 28:02d} 10:{i % 60:02d}:00", "lastpage": "2",
            "startlanguage": LANG, "seed": str(rng.randint(10**8, 10**9)),
            "startdate": f"2025-03-{1 + i % 28:02d} 09:{i % 60:02d}:00",
            "datestamp": f"2025-03-{1 + i % 28:02d} 10:{i % 60:02d}:00",
        }
        rows.append((meta, r, answered))
    return rows


LABELS = {"G01Q01": {"A1": "CCAS", "A2": "Médiathèque", "A3": "Association", "-oth-": "Autre"},
          "G02Q04": {"Y": "Oui", "N": "Non"}}


def full(heading, value):
    """SurveyObj::getFullAnswer for the types of this survey."""
    if heading in LABELS:
        return LABELS[heading].get(value, "")
    if heading.startswith("G01Q02[") and heading != "G01Q02[other]":
        return "Oui" if value == "Y" else "Non"
    if heading.startswith("G02Q02["):
        return {"F1": "Jamais", "F2": "Parfois", "F3": "Souvent"}.get(value, "")
    return value


def csv_text(rows, separator, answers_full):
    meta_cols = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]
    cols = list(rows[0][1].keys())
    out = [separator.join(f'"{h}"' for h in meta_cols + cols)]
    for meta, r, _ in rows:
        values = [meta[c] for c in meta_cols]
        values += [full(c, r[c]) if answers_full else r[c] for c in cols]
        out.append(separator.join('"' + v.replace('"', '""') + '"' for v in values))
    return "\ufeff" + "\r\n".join(out) + "\r\n" + "\r\n"


def main():
    rng = random.Random(16)
    rows = respondents(40, rng)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "limesurvey-416283.lss").write_text(lss(), encoding="utf-8")
    (OUT / "limesurvey-416283-codes.csv").write_text(csv_text(rows, ",", False), encoding="utf-8", newline="")
    (OUT / "limesurvey-416283-reponses-completes.csv").write_text(csv_text(rows, ";", True), encoding="utf-8", newline="")


if __name__ == "__main__":
    main()

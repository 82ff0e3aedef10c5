#!/usr/bin/env python3
"""Builds tests/fixtures/surveys/hub-bretagne-2023.csv: 178 synthetic
respondents to the built-in questionnaire hub-bretagne-2023 whose marginals
are those seed 001 publishes, so that the analysis can be checked to print
the seed's figures exactly (crates/surveys/tests/seeds.rs).

The individual answers are invented; only the published figures hold:
tableaux 1 to 13 (counts, the crosstabs of tableaux 3 and 11, means, medians
and standard deviations to the seed's two decimals) and the profile figures
of the text (âge moyen 39,35 ; 52,2 % de femmes ; 60,7 % bac + 2 et plus ;
37,11 % en Ille-et-Vilaine ; 75,8 % employeurs publics ; 50,6 % à l'échelle
des communes ; 5,29 années d'exercice, 2,36 pour les conseillers ; 57,1 %
premiers médiateurs, dont 65 conseillers sur 93 ; 63,8 % en CDD ; salaire
moyen 1818,29 €).

Standard library only; deterministic (seeded). Run from the repository root:
    python3 scripts/surveys_fixture_hub2023.py
"""
import math

from surveys_fixtures import Fixture

N = 178
fixture = Fixture("hub-bretagne-2023", N, 2023)
rng, rows = fixture.rng, fixture.rows
single, multiple, numbers, with_sum = fixture.single, fixture.multiple, fixture.numbers, fixture.with_sum


def half_up(x, decimals):
    return math.floor(x * 10 ** decimals + 0.5) / 10 ** decimals


def fit(n, lo, hi, mean, median, std, median_decimals=0):
    """n whole numbers in lo..hi whose mean and standard deviation round to
    the given two decimals and whose median rounds to `median`: a local
    search from a rough start, moving one answer by one at a time."""
    def stats(v):
        m = sum(v) / n
        s = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1))
        sv = sorted(v)
        md = (sv[(n - 1) // 2] + sv[n // 2]) / 2
        return m, md, s

    def loss(v):
        m, md, s = stats(v)
        return (m - mean) ** 2 + (s - std) ** 2 + (md - median) ** 2

    def ok(v):
        m, md, s = stats(v)
        return half_up(m, 2) == mean and half_up(s, 2) == std and half_up(md, median_decimals) == median

    for attempt in range(50):
        v = [min(hi, max(lo, round(rng.gauss(mean, std)))) for _ in range(n)]
        current = loss(v)
        for step in range(200_000):
            if ok(v):
                rng.shuffle(v)
                return v
            i = rng.randrange(n)
            old = v[i]
            new = old + rng.choice((-1, 1)) * (1 if rng.random() < 0.8 else rng.randint(2, 5))
            if not lo <= new <= hi:
                continue
            v[i] = new
            candidate = loss(v)
            if candidate <= current or rng.random() < 0.001:
                current = candidate
            else:
                v[i] = old
    raise SystemExit(f"no fit for n={n} mean={mean} median={median} std={std}")


everyone = list(range(N))
order = everyone[:]
rng.shuffle(order)
non, oui = order[:23], order[23:]  # tableau 3: 23 ne réalisent pas, 155 réalisent
for i in non:
    rows[i]["accompagne"] = "non"
for i in oui:
    rows[i]["accompagne"] = "oui"
single("fiche_de_poste", non, {"non": 22, "oui": 1})  # tableau 3
single("fiche_de_poste", oui, {"non": 45, "oui": 110})
single("france_services", non, {"non": 2, "oui": 21})  # tableau 11
single("france_services", oui, {"non": 46, "oui": 109})
single("poste", everyone, {"conseiller": 103, "animateur": 28, "mediateur": 23, "referent": 13, "bibliothecaire": 11})
multiple("lieux", everyone, {"mairie": 45, "efs": 31, "mediatheque": 75, "centre_social": 41, "association": 47, "ccas": 27,
                             "ecole": 15, "pimms": 0, "espace_public": 18, "domicile": 12, "pij": 7})  # tableau 2
multiple("pourquoi_pas", non, {"ne_dois_pas": 13, "ne_veux_pas": 5, "ne_sais_pas": 2, "pas_de_demandes": 2, "quelquun_dautre": 11})

grids = {
    "types_accompagnement": [(7.44, 8, 2.87), (7.61, 8, 2.73), (7.11, 8, 2.81), (6.91, 8, 3.02), (6.77, 8, 3.24), (5.08, 5, 3.35), (4.26, 3, 3.34)],
    "individuel_collectif": [(8.39, 10, 2.64), (2.86, 2, 2.51)],
    "sites_web": [(4.81, 5, 2.99), (3.10, 2, 2.57), (4.24, 3, 2.94), (4.85, 4, 3.03), (5.60, 5, 2.98), (4.08, 3, 2.95), (2.92, 2, 2.49),
                  (6.17, 6, 3.29), (1.85, 1, 1.70), (1.78, 1, 1.60), (3.57, 3, 2.81), (2.19, 1, 2.03), (4.75, 4, 3.27), (1.53, 1, 1.48),
                  (1.28, 1, 0.99), (1.63, 1, 1.53), (2.17, 1, 2.05), (2.65, 1, 2.44)],
    "contacts_directs": [(1.76, 1, 2.09), (1.20, 1, 0.96), (1.85, 1, 2.10), (1.69, 1, 1.91), (1.85, 1, 2.08), (1.44, 1, 1.53), (1.25, 1, 0.88),
                         (1.62, 1, 1.87), (1.15, 1, 0.86), (1.23, 1, 1.15), (1.77, 1, 2.01)],
}
for qid, targets in grids.items():  # tableaux 5, 6, 9, 12 (n = 155)
    for item, (mean, median, std) in zip(fixture.questions[qid]["items"], targets):
        numbers(f"{qid}.{item['code']}", oui, fit(155, 1, 10, mean, median, std))
numbers("sollicitations_repetees", oui, fit(155, 1, 10, 6.57, 7.0, 2.89, median_decimals=2))  # tableau 7
numbers("personnes_semaine", oui, fit(155, 0, 120, 9.97, 5.0, 14.44, median_decimals=2))  # tableau 8

answered = oui[:]
rng.shuffle(answered)
multiple("reorientation", answered[:148], {"efs": 101, "pimms": 30, "mairie": 39, "organisme": 92, "ccas": 56,
                                           "mediateur_republique": 7, "ecrivain_public": 7, "association": 29})  # tableau 10
multiple("besoin_contacts", oui, {"situations_complexes": 92, "reorienter": 96, "comprendre": 67, "non": 28}, exclusive="non")  # tableau 13

# Profile figures of the text.
multiple("echelle", everyone, {"commune": 90, "epci": 132, "departement": 20, "region": 5})
single("employeur", everyone, {"public": 135, "associatif": 35, "prive": 8})
single("genre", everyone, {"femme": 93, "homme": 83, "non_dit": 2})
single("niveau_formation", everyone, {"infra_bac": 20, "bac": 50, "bac2": 40, "bac3": 38, "bac5": 30})
single("departement", order[:159], {"22": 30, "29": 38, "35": 59, "56": 32})


numbers("age", everyone, with_sum(N, 21, 63, 7004))  # 39,35 ans
numbers("salaire", everyone, with_sum(N, 1500, 2600, 323_656))  # 1818,29 €
conseillers = [i for i in everyone if rows[i]["poste"] == "conseiller"]
autres = [i for i in everyone if rows[i]["poste"] != "conseiller"]
numbers("annees_exercice", conseillers, with_sum(len(conseillers), 0, 5, 243))  # 2,36 ans
numbers("annees_exercice", autres, with_sum(len(autres), 1, 25, 699))  # 5,29 ans en tout
answering = rng.sample(conseillers, 90) + rng.sample(autres, 73)  # 163 réponses
single("premier_mediateur", answering[:90], {"oui": 65, "non": 25})
single("premier_mediateur", answering[90:], {"oui": 28, "non": 45})
single("contrat", answering, {"cdd": 104, "cdi": 30, "titulaire": 29})

print(f"wrote {fixture.write('hub-bretagne-2023.csv')}")

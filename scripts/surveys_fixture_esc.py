#!/usr/bin/env python3
"""Builds tests/fixtures/surveys/esc-rennes-professionnels.csv: 143
synthetic respondents to the built-in questionnaire esc-rennes-professionnels
whose figures are those seed 004 publishes, so that the analysis can be
checked to print the seed's tables "selon structure" (means to two decimals
and the LSD letters, e.g. "2.44a 2.76a 5.60b") and its frequency tables
(crates/surveys/tests/seeds.rs).

The seed's means are multiples of 1/50, 1/25 and 1/10 for CCAS, CDAS and
Centre social: 50, 25 and 10 professionals answered the 1–8 grids, and so
do they here. For every item the answers are drawn with the seed's group
means exactly, then their spread is searched until Fisher's LSD (α = .05)
gives the seed's letters. The individual answers are invented.

Needs SciPy (for the t distribution); run from the repository root:
    target/survey-venv/bin/python scripts/surveys_fixture_esc.py
"""
import math

from scipy import stats

from surveys_fixtures import Fixture

N = 143
fixture = Fixture("esc-rennes-professionnels", N, 2021)
rng, rows, questions = fixture.rng, fixture.rows, fixture.questions
single, multiple, with_sum = fixture.single, fixture.multiple, fixture.with_sum
SIZES = {"ccas": 50, "cdas": 25, "centre_social": 10}

# Seed 004, tables "selon structure": (CCAS, CDAS, Centre social) means and
# letters, item by item in the questionnaire's order.
TABLES = {
    "aise_numerique": ["7.16a 6.28b 5.80b", "6.80a 6.16a 5.40b"],
    "pratiques_usagers": ["2.44a 2.76a 5.60b", "6.24a 5.24b 6.20a", "7.08a 4.88b 5.40b", "7.46a 5.44b 6.30b", "6.32a 4.56b 3.80b"],
    "accompagnement_usages": ["5.84a 3.92b 3.50b", "4.98a 3.60b 2.80b", "5.02a 3.76b 3.80b", "4.32a 2.96b 2.70b", "4.74a 2.44b 2.80b"],
    "usage_ordinateur": ["2.90a 3.24a 2.20a", "6.66a 5.56b 6.50a", "2.88a 2.88a 3.90a", "3.78a 2.72a 3.80a", "3.48a 2.80a 3.80a"],
    "besoins_usagers": ["6.96a 5.64b 6.80a", "6.64a 5.64b 5.90b", "7.00a 5.68b 6.20a", "7.02a 5.80b 7.00a", "7.14a 5.80b 7.60a", "6.90a 5.92b 6.20b", "7.10a 5.68b 6.80a"],
    "connaissance_difficultes": ["6.18a 6.00a 6.80a", "5.62a 4.92a 5.40a", "2.18a 1.84a 1.70a"],
}


def group(n, mean, spread):
    """n answers in 1..8 adding up to n·mean, spread around it."""
    total = round(n * mean)
    v = [min(8, max(1, round(rng.gauss(mean, spread)))) for _ in range(n)]
    while sum(v) != total:
        i = rng.randrange(n)
        step = 1 if sum(v) < total else -1
        if 1 <= v[i] + step <= 8:
            v[i] += step
    return v


def letters(samples, alpha=0.05):
    k = len(samples)
    n = sum(len(s) for s in samples)
    means = [sum(s) / len(s) for s in samples]
    mse = sum(sum((x - m) ** 2 for x in s) for s, m in zip(samples, means)) / (n - k)
    if mse == 0:
        return None
    columns = [set(range(k))]
    for i in range(k):
        for j in range(i + 1, k):
            se = math.sqrt(mse * (1 / len(samples[i]) + 1 / len(samples[j])))
            if 2 * stats.t.sf(abs(means[i] - means[j]) / se, n - k) >= alpha:
                continue
            nxt = []
            for c in columns:
                nxt += [c - {i}, c - {j}] if i in c and j in c else [c]
            columns = [c for a, c in enumerate(nxt)
                       if not any(a != b and c <= o and (c != o or b < a) for b, o in enumerate(nxt))]
    columns = sorted((c for c in columns if c), key=min)
    return ["".join(chr(97 + x) for x, c in enumerate(columns) if i in c) for i in range(k)]


unmatched = []


def item(spec):
    """Samples with the seed's means, and its letters when a pooled LSD can
    give them. For two rows no common variance can: "6.80a 6.16a 5.40b"
    needs 0.76 between 25 and 10 answers to differ while 0.64 between 50
    and 25 does not, and "7.00a 5.68b 6.20a" needs 0.52 between 25 and 10
    to differ while 0.80 between 50 and 10 does not; those keep the means
    only."""
    cells = spec.split()
    means = [float(c[:-1]) for c in cells]
    wanted = [c[-1] for c in cells]
    for attempt in range(30_000):
        spread = rng.uniform(0.3, 3.0)
        samples = [group(n, m, spread) for n, m in zip(SIZES.values(), means)]
        if letters(samples) == wanted:
            return samples
    unmatched.append(spec)
    return [group(n, m, 1.5) for n, m in zip(SIZES.values(), means)]


order = list(range(N))
rng.shuffle(order)
services = {"ccas": order[:75], "cdas": order[75:119], "centre_social": order[119:136],
            "we_ker": order[136:139], "caf": order[139:]}
for code, members in services.items():
    for i in members:
        rows[i]["service"] = code
answering = {s: rng.sample(services[s], n) for s, n in SIZES.items()}
answering_all = [i for s in SIZES for i in answering[s]]
others = [i for i in order if i not in set(answering_all)]
# The grids went to professionals in contact with users, not to managers.
rng.shuffle(others)
missions = {"encadrement": 28, "acces_droits": 24, "accompagnement_social": 44, "administration": 23,
            "animation": 17, "sante": 7}
for i in others[:28]:
    rows[i]["mission"] = "encadrement"
single("mission", answering_all + others[28:], {k: v for k, v in missions.items() if k != "encadrement"})

for qid, specs in TABLES.items():
    for it, spec in zip(questions[qid]["items"], specs):
        for service, sample in zip(SIZES, item(spec)):
            for i, v in zip(answering[service], sample):
                rows[i][f"{qid}.{it['code']}"] = str(v)

single("esc", order, {"centre": 8, "gros_chene": 36, "aime_cesaire": 21, "blosne": 36, "cleunay": 22,
                      "villejean": 12, "tous": 8})
single("genre", order[:141], {"homme": 22, "femme": 119})
single("formation_interne", order[:140], {"oui": 53, "non": 87})
trained = [i for i in order if rows[i]["formation_interne"] == "oui"]
multiple("formations_suivies", trained, {"pleniere": 9, "culture_web": 34, "partenaires": 17, "confiance": 5,
                                         "autres_modules": 15})
single("autres_formations", order[:133], {"oui": 24, "non": 109})
single("oriente_partenaires", order[:90], {"oui": 78, "non": 12})
single("espaces_repondent", order[:98], {"oui": 90, "non": 8})
single("utilise_espaces", order[:86], {"oui": 26, "non": 60})
single("echange_mediateur", order[:98], {"oui": 44, "non": 54})
single("newsletter", order[:98], {"oui": 41, "non": 57})
single("newsletter_lue", [i for i in order if rows[i]["newsletter"] == "oui"], {"oui": 32, "non": 9})
single("maintenir_espaces", order[:98], {"oui": 96, "non": 2})


for i, v in zip(order, with_sum(N, 22, 64, 6110)):  # 42,73 ans
    rows[i]["age"] = str(v)
for i, v in zip(order, with_sum(N, 0, 12, 709)):  # 4,96 ans dans l'ESC
    rows[i]["anciennete"] = str(v)

print(f"wrote {fixture.write('esc-rennes-professionnels.csv')}; letters not reproducible by a pooled LSD: {unmatched}")

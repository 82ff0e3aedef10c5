"""Helpers shared by the scripts that build respondent-level fixtures from
the seeds' published figures (surveys_fixture_hub2023.py,
surveys_fixture_esc.py): a table of empty answers with the questionnaire's
columns, and ways to deal answers so that counts come out exactly.
Standard library only."""
import csv
import pathlib
import random
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Fixture:
    def __init__(self, template, respondents, seed):
        self.questionnaire = tomllib.loads((ROOT / "data/surveys" / f"{template}.toml").read_text())
        self.questions = {q["id"]: q for q in self.questionnaire["questions"]}
        self.rng = random.Random(seed)
        self.rows = [dict.fromkeys(self.columns(), "") for _ in range(respondents)]

    def columns(self):
        """The responses file's columns, in questionnaire order."""
        out = []
        for q in self.questionnaire["questions"]:
            kind = q["type"]
            if kind == "multiple":
                out += [f"{q['id']}.{o['code']}" for o in q["options"]]
                if "other" in q:
                    out.append(f"{q['id']}.other")
            elif kind == "grid":
                out += [f"{q['id']}.{i['code']}" for i in q["items"]]
            else:
                out.append(q["id"])
                if kind == "single" and "other" in q:
                    out.append(f"{q['id']}.other")
        return out

    def single(self, qid, indices, counts):
        """Single choice: each code answered `counts[code]` times among
        `indices`, in a random order."""
        codes = [code for code, k in counts.items() for _ in range(k)]
        assert len(codes) == len(indices), (qid, len(codes), len(indices))
        self.rng.shuffle(codes)
        for i, code in zip(indices, codes):
            self.rows[i][qid] = code

    def multiple(self, qid, indices, counts, exclusive=None):
        """Multiple choice: every respondent in `indices` ticks at least one
        option, option `code` is ticked `counts[code]` times; `exclusive`
        (a code) is ticked alone."""
        rng = self.rng
        indices = list(indices)
        rng.shuffle(indices)
        chosen = {i: set() for i in indices}
        if exclusive:
            alone, indices = indices[: counts[exclusive]], indices[counts[exclusive]:]
            for i in alone:
                chosen[i].add(exclusive)
        remaining = {c: k for c, k in counts.items() if c != exclusive}
        for i in indices:  # one each first, the most frequent options likelier
            code = rng.choices(list(remaining), weights=list(remaining.values()))[0]
            chosen[i].add(code)
            remaining[code] -= 1
        for code, k in remaining.items():
            free = [i for i in indices if code not in chosen[i]]
            for i in rng.sample(free, k):
                chosen[i].add(code)
        for i, codes in chosen.items():
            for o in self.questions[qid]["options"]:
                self.rows[i][f"{qid}.{o['code']}"] = "1" if o["code"] in codes else "0"

    def numbers(self, column, indices, values):
        for i, v in zip(indices, values):
            self.rows[i][column] = str(v)

    def with_sum(self, n, lo, hi, total):
        """n whole numbers in lo..hi adding up to `total`."""
        v = [self.rng.randint(lo, hi) for _ in range(n)]
        while sum(v) != total:
            i = self.rng.randrange(n)
            step = 1 if sum(v) < total else -1
            if lo <= v[i] + step <= hi:
                v[i] += step
        return v

    def write(self, name):
        out = ROOT / "tests/fixtures/surveys" / name
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns(), lineterminator="\n")
            writer.writeheader()
            writer.writerows(self.rows)
        return out.relative_to(ROOT)

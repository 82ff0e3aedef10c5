#!/usr/bin/env bash
# Sign-in benchmark: Passerelle's Argon2id (RustCrypto argon2, in the real
# router) against the reference C implementation (libargon2 through PyPI's
# argon2-cffi) with the same OWASP parameters, on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q argon2-cffi==23.1.0
ours=$(cargo bench -q -p passerelle-web --bench sign_in 2>/dev/null)
echo "$ours"
ours_ms=$(echo "$ours" | sed -n 's/^one verification, one thread: \([0-9.]*\) ms.*/\1/p')
peer_ms=$("$venv/bin/python" - <<'PY'
import time
from argon2 import PasswordHasher, Type
ph = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
h = ph.hash("une phrase de passe solide")
ph.verify(h, "une phrase de passe solide")
n = 40
t = time.perf_counter()
for _ in range(n):
    ph.verify(h, "une phrase de passe solide")
print(f"{(time.perf_counter() - t) / n * 1000:.1f}")
PY
)
echo "peer: libargon2 (argon2-cffi), one verification, one thread: ${peer_ms} ms"
python3 -c "print(f'ratio peer/ours: x{float(\"$peer_ms\") / float(\"$ours_ms\"):.2f} (above 1: Passerelle is faster)')"

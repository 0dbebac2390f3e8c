#!/bin/bash
python3 - <<'PY'
src = open("/app/stats.py").read()
src = src.replace('''        raise ValueError("median of empty data")
    n = len(values)''', '''        raise ValueError("median of empty data")
    values = sorted(values)
    n = len(values)''')
open("/app/stats.py", "w").write(src)
PY

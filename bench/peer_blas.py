#!/usr/bin/env python3
"""Prints which BLAS the peer runs (threadpoolctl, else numpy's config), for the bench scripts:
  # peer BLAS: openblas 0.3.21 Zen threads=2 (OPENBLAS_CORETYPE unset, OPENBLAS_L2_SIZE unset)"""
import os

try:
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl inspects)
    import threadpoolctl
    libs = [f"{i['internal_api']} {i.get('version')} {i.get('architecture')} threads={i['num_threads']}"
            for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    desc = "; ".join(libs) or "no BLAS found by threadpoolctl"
except ImportError:
    desc = "threadpoolctl not installed (apt-get install python3-threadpoolctl)"
env = ", ".join(f"{k} {'=' + os.environ[k] if k in os.environ else 'unset'}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"))
print(f"# peer BLAS: {desc} ({env})")

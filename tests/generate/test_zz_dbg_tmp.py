from tests.generate.test_adf_workers import *  # noqa
def test_dbg(runs):
    for o, r in runs.items():
        print(o, r.stuck, r.failure, {k: (v.stuck, v.failure) for k, v in r.items.items()})
        print([a.name for a in r.activities])

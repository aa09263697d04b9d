"""Work stoppages (arrêts de travail) for the provident claims team.

The flow, each step a pure function over Polars frames (schemas in `inputs`):

    inputs      stoppage rows (S21.G00.60 with their declaration), 66, 65, 62 and gross pay,
                read from parsed DSN files or from the warehouse
    episodes    one episode per stoppage across monthly DSNs and signalements
    events      invalidity (65: 112/114/116) and death (62.002 = 066) on the employee
    signals     the ARR codes (catalogue in `catalogue`), one function per rule
    claims      pre-filled provident claim and daily allowance estimate per episode

`build(inputs, terms)` runs them all.
"""

from quality.stoppages.pipeline import StoppageResults, build

__all__ = ["StoppageResults", "build"]

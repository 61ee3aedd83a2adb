"""Pure rules of the interview: marks, the trimmed mean, the state machine, what each screen sees.

Nothing here knows about HTTP, sockets or SQL; everything works on ``decimal.Decimal`` and plain
data classes so it can be tested table by table.
"""

"""The stakeholder update email: render (`render`), claim once (`outbox`), deliver (`delivery`).

`flows.stakeholder_email` wires them; each module is usable on its own and in tests.
"""

"""What carrying out a passed proposal may fail with."""


class EffectError(RuntimeError):
    """A passed proposal cannot be carried out; the message says why. The
    proposal is then recorded as failed, with that message as its outcome."""

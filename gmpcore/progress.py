"""``simulate(progress=True)``: a progress bar from tqdm, in terminals and notebooks.

The compiled engine calls the bar every ``progress_every`` events with the
events done and the virtual time reached; the total is not known ahead, so
the bar counts events and shows the virtual time beside them.
"""

__all__ = ["ProgressBar"]


class ProgressBar:
    """A ``progress(events, now_ns)`` callback drawing a ``tqdm.auto`` bar.

    Parameters
    ----------
    label : str
        What the bar says it runs.
    delay : float
        Seconds before the bar appears (short runs show none).
    **tqdm_options
        More arguments for ``tqdm`` (``file``, ``disable``, ...).

    Examples
    --------
    >>> bar = ProgressBar("demo", delay=3600)
    >>> bar(1_000_000, 2_500_000); bar(2_000_000, 5_000_000)
    >>> bar.events, bar.now_ns
    (2000000, 5000000)
    >>> bar.close()
    """

    def __init__(self, label="simulate", delay=1.0, **tqdm_options):
        from tqdm.auto import tqdm
        self.events = 0
        self.now_ns = 0
        self.bar = tqdm(desc=label, unit=" events", unit_scale=True, delay=delay, leave=False,
                        **tqdm_options)

    def __call__(self, events, now_ns):
        from gmpcore.durations import short_duration
        self.bar.update(events - self.events)
        self.bar.set_postfix_str(f"virtual time {short_duration(now_ns)}", refresh=False)
        self.events, self.now_ns = events, now_ns

    def close(self):
        self.bar.close()

"""salt.config: in Brine's #!py renderer the options are the file's
__opts__; the loaders Salt has here read no files."""

DEFAULT_MASTER_OPTS = {}
DEFAULT_MINION_OPTS = {}


def master_config(path=None, **kwargs):
    raise NotImplementedError("salt.config.master_config: use __opts__ in a Brine #!py file")


def minion_config(path=None, **kwargs):
    raise NotImplementedError("salt.config.minion_config: use __opts__ in a Brine #!py file")

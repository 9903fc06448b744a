"""Named run profiles: a TOML store under SATCONF_HOME that never loses one.

    from satconf.profiles import ProfileStore, Profile, ProfileError
    store = ProfileStore()                # $SATCONF_HOME/profiles by default
    prof = store.load("fine-tune")
    prof.values["batch_size"] = 8
    store.save(prof)                      # atomic; `updated` becomes now
"""

from satconf.profiles.codec import render_profile, same_value
from satconf.profiles.diff import MISSING, diff_values
from satconf.profiles.model import (
    FORMAT_VERSION,
    MAX_NAME_CHARS,
    Profile,
    ProfileError,
    ProfileExistsError,
    ProfileNameError,
    ProfileNotFoundError,
    validate_name,
)
from satconf.profiles.reader import parse_profile
from satconf.profiles.store import ProfileStore

__all__ = [
    "FORMAT_VERSION",
    "MAX_NAME_CHARS",
    "MISSING",
    "Profile",
    "ProfileError",
    "ProfileExistsError",
    "ProfileNameError",
    "ProfileNotFoundError",
    "ProfileStore",
    "diff_values",
    "parse_profile",
    "render_profile",
    "same_value",
    "validate_name",
]

# SPDX-License-Identifier: BSD-2-Clause
# daemon: filled in by its module.

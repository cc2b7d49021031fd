# SPDX-License-Identifier: BSD-2-Clause
# bench: filled in by its module.

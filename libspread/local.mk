# SPDX-License-Identifier: BSD-2-Clause
# libspread: filled in by its module.

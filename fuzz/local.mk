# SPDX-License-Identifier: BSD-2-Clause
# fuzz: filled in by its module.

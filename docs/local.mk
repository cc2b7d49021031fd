# SPDX-License-Identifier: BSD-2-Clause
# docs: filled in by its module.

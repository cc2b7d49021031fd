# SPDX-License-Identifier: BSD-2-Clause
# tools: filled in by its module.

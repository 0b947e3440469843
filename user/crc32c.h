/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PPGUARD_CRC32C_H
#define PPGUARD_CRC32C_H

#include <stddef.h>
#include <linux/types.h>

/* CRC32C of data[0..len). pp_crc32c("123456789", 9) == 0xE3069283. */
__u32 pp_crc32c(const void *data, size_t len);
/* Continue a CRC: pp_crc32c_update(pp_crc32c(a, n), b, m) is the CRC of a
 * followed by b. Start from 0. */
__u32 pp_crc32c_update(__u32 crc, const void *data, size_t len);

#endif /* PPGUARD_CRC32C_H */

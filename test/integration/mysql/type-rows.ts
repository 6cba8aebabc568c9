/**
 * The MySQL types test table: every column type with rows at precision edges, zero dates and NULLs
 * (types.test.ts reads and writes it back; writer-stream.test.ts compares the writer's two paths over it).
 */

export const COLUMNS = `
  id INT PRIMARY KEY,
  b1 TINYINT(1), bit1 BIT(1), bit9 BIT(9), bit64 BIT(64),
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT UNSIGNED, mi MEDIUMINT, i INT UNSIGNED,
  sb BIGINT, ub BIGINT UNSIGNED,
  d65 DECIMAL(65,30), d12 DECIMAL(12,2), d38 DECIMAL(38,10),
  f FLOAT, dbl DOUBLE,
  dt DATE, dtm DATETIME(6), dt0 DATETIME, ts TIMESTAMP(6) NULL, tm TIME(6), yr YEAR,
  en ENUM('a','b','c'), st SET('x','y','z'), js JSON,
  bl BLOB, bn BINARY(4), vb VARBINARY(10),
  tx TEXT, vc VARCHAR(20), ch CHAR(3)`;

export const ROWS = [
  // typical values, each at a precision edge
  `(1, 1, b'1', b'101010101', b'1111111111111111111111111111111111111111111111111111111111111111',
    -128, 255, 65535, -8388608, 4294967295,
    -9223372036854775808, 18446744073709551615,
    '12345678.123456789012345678901234567891', '-1234567890.12', '1234567890123456789012345678.0123456789',
    3.14159265, 0.30000000000000004,
    '2024-02-29', '2024-02-29 23:59:59.123456', '1000-01-01 00:00:00', '2038-01-19 03:14:07.999999',
    '23:59:59.999999', 2155,
    'b', 'x,z', '{"a": 12345678901234567890, "b": [1, 2.5, "😀"]}',
    x'00ff10', x'01020304', x'0a0d09',
    'héllo 😀 \\\\ tab\\there\\nnewline\\rcr ''q'' "dq" nul\\0byte', '😀 emoji ✓', 'ab')`,
  // zero dates, minimal values
  `(2, 0, b'0', b'0', b'0', 127, 0, 0, 8388607, 0, 9223372036854775807, 0,
    '-0.000000000000000000000000000001', '0.00', '-0.0000000001', -1.17549435e-38, -1e300,
    '0000-00-00', '0000-00-00 00:00:00', '2024-01-00 10:00:00', '1970-01-01 00:00:01',
    '00:00:00', 1901, 'a', '', '[]', x'', x'00000000', x'', '', '', '')`,
  // all NULL
  `(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

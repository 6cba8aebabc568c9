-- Sample data for the MySQL → Postgres example: a `users` table in the MySQL database the example reads
-- (MYSQL_DATABASE, default `shop`). Safe to run again: existing rows are kept.
SET NAMES utf8mb4;
CREATE TABLE IF NOT EXISTS users (
  id             BIGINT PRIMARY KEY,
  email          VARCHAR(120) NOT NULL,
  country        CHAR(2) NOT NULL,
  active         TINYINT(1) NOT NULL,
  signed_up_at   DATETIME(6) NOT NULL,
  lifetime_value DECIMAL(12,2) NOT NULL
) DEFAULT CHARSET = utf8mb4;

INSERT IGNORE INTO users VALUES
  (1, 'ada@example.com', 'gb', 1, '2024-01-02 03:04:05.123456', 1234.50),
  (2, 'bob@example.com', 'us', 0, '2024-02-03 04:05:06.000000', 10.00),
  (9007199254740993, 'zoë@example.com', 'fi', 1, '2025-12-31 23:59:59.999999', 99999999.99);

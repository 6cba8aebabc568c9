#!/usr/bin/env node
/**
 * Generates the embedded movies dataset: directors, movies, actors, movie_actors and reviews as CSV.
 * Deterministic: a seeded PRNG and no clock, so every run writes the same bytes.
 *
 *   node examples/movies/generate.mjs [out-dir]     (default: examples/movies/data)
 *
 * Everything is fictional except Ava DuVernay and her films, whose figures are rounded, illustrative values.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'data');

/** mulberry32: small, fast, good enough for test data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20240229);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (list) => list[Math.floor(rand() * list.length)];
const chance = (p) => rand() < p;
/** Fixed-point text with `digits` decimals from an integer count of hundredths etc. */
const money = (dollars) => `${dollars}.00`;

function csvField(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
function writeCsv(name, columns, rows) {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  writeFileSync(join(outDir, name), `${lines.join('\n')}\n`);
  return rows.length;
}

const FIRST = [
  'Maren',
  'Tobias',
  'Ines',
  'Kofi',
  'Lucía',
  'Anders',
  'Noor',
  'Hiro',
  'Camille',
  'Dmitri',
  'Aisha',
  'Mateo',
  'Greta',
  'Rahul',
  'Sofia',
  'Jonah',
  'Yara',
  'Emeka',
  'Elin',
  'Paolo',
  'Mei',
  'Oskar',
  'Zanele',
  'Luca',
  'Amara',
  'Felix',
  'Saoirse',
  'Tariq',
  'Björn',
  'Leila',
];
const LAST = [
  'Halvorsen',
  'Okafor',
  'Moreau',
  'Castillo',
  'Lindqvist',
  'Nakamura',
  'Brennan',
  'Petrova',
  'Adeyemi',
  'Rossi',
  'Kowalski',
  'Haddad',
  'Fischer',
  'Mensah',
  'Sato',
  'Duarte',
  'Novak',
  'Quinn',
  'Zhang',
  'Ibrahim',
  'Costa',
  'Wójcik',
  'Achterberg',
  'Müller',
  'Nilsson',
];
const NATIONALITIES = [
  'American',
  'British',
  'French',
  'Nigerian',
  'Japanese',
  'Swedish',
  'Mexican',
  'Indian',
  'Italian',
  'Brazilian',
  'German',
  'Ghanaian',
  'Polish',
  'Canadian',
  'South Korean',
];
const GENRES = [
  'Drama',
  'Comedy',
  'Thriller',
  'Sci-Fi',
  'Documentary',
  'Romance',
  'Horror',
  'Animation',
  'Crime',
];
const TITLE_A = [
  'Silent',
  'Crimson',
  'Last',
  'Hidden',
  'Broken',
  'Golden',
  'Northern',
  'Distant',
  'Paper',
  'Electric',
  'Quiet',
  'Burning',
  'Winter',
  'Glass',
  'Midnight',
  'Wild',
];
const TITLE_B = [
  'Harbor',
  'Letters',
  'Orchard',
  'Frontier',
  'Signal',
  'Tide',
  'Garden',
  'Empire',
  'River',
  'Lanterns',
  'Archive',
  'Crossing',
  'Season',
  'Machine',
  'Kingdom',
  'Echoes',
];
const ROLES = [
  'Detective',
  'Mother',
  'Captain',
  'Stranger',
  'Teacher',
  'Pilot',
  'Doctor',
  'Runaway',
  'Mayor',
  'Engineer',
  'Singer',
  'Sister',
  'Narrator',
  'Ghost',
  'Lawyer',
];
const REVIEWERS = [
  'cinephile42',
  'Ana Lima',
  'Jürgen K.',
  'reelthoughts',
  '映画ファン',
  'Chloé B.',
  'popcorn_pete',
  'S. Okoro',
  'Marta Nowak',
  'film.buff.99',
  'Ólafur',
  'Priya R.',
];
const PRAISE = [
  'A quiet triumph.',
  'Gorgeous cinematography 🎬',
  'Slow, but it earns its ending.',
  'Bold, moving, and "unforgettable"',
  'Too long by half an hour.',
  'The score alone is worth it 🎻',
  'Ein Meisterwerk.',
  'Très belle mise en scène.',
  '素晴らしい映画でした。',
  'Predictable, yet warm, and funny.',
  'The lead performance carries everything.',
  'I laughed, I cried — twice.',
  '不错，值得一看 👍',
  'Messy second act, great finale.',
];

// Directors: Ava DuVernay first (director_id 1), then fictional directors.
const directors = [
  { director_id: 1, name: 'Ava DuVernay', birth_year: 1972, nationality: 'American', awards: 8 },
];
const usedNames = new Set(['Ava DuVernay']);
while (directors.length < 24) {
  const name = `${pick(FIRST)} ${pick(LAST)}`;
  if (usedNames.has(name)) continue;
  usedNames.add(name);
  directors.push({
    director_id: directors.length + 1,
    name,
    birth_year: int(1940, 1992),
    nationality: pick(NATIONALITIES),
    awards: chance(0.3) ? 0 : int(1, 14),
  });
}

// Movies: Ava DuVernay's films (illustrative figures), then fictional films by the other directors.
const movies = [
  ['Middle of Nowhere', 2012, 'Drama', 101, 200000, 236806, '6.6'],
  ['Selma', 2014, 'Drama', 128, 20000000, 66800000, '7.5'],
  ['13th', 2016, 'Documentary', 100, 1000000, null, '8.2'],
  ['A Wrinkle in Time', 2018, 'Sci-Fi', 109, 103000000, 132700000, '4.3'],
  ['Origin', 2023, 'Drama', 135, 38000000, 11000000, '6.9'],
].map(([title, release_year, genre, runtime_minutes, budget, box, rating], i) => ({
  movie_id: i + 1,
  title,
  release_year,
  genre,
  director_id: 1,
  runtime_minutes,
  budget_usd: money(budget),
  box_office_usd: box === null ? null : money(box),
  rating,
}));
const usedTitles = new Set(movies.map((m) => m.title));
for (const d of directors.slice(1)) {
  const count = int(2, 6);
  const firstYear = Math.max(d.birth_year + 24, 1975);
  for (let k = 0; k < count; k++) {
    let title;
    do title = chance(0.5) ? `The ${pick(TITLE_A)} ${pick(TITLE_B)}` : `${pick(TITLE_A)} ${pick(TITLE_B)}`;
    while (usedTitles.has(title));
    usedTitles.add(title);
    const genre = pick(GENRES);
    const budget = genre === 'Documentary' ? int(2, 40) * 50000 : int(4, 400) * 500000;
    const roi = 0.2 + rand() * 3.5;
    movies.push({
      movie_id: movies.length + 1,
      title,
      release_year: Math.min(2024, firstYear + int(0, 40)),
      genre,
      director_id: d.director_id,
      runtime_minutes: int(78, 171),
      budget_usd: money(budget),
      box_office_usd: chance(0.08)
        ? null
        : `${Math.round(budget * roi)}.${String(int(0, 99)).padStart(2, '0')}`,
      rating: (int(28, 91) / 10).toFixed(1),
    });
  }
}
movies.sort((a, b) => a.movie_id - b.movie_id);

// Actors and casting.
const actors = [];
while (actors.length < 60) {
  const name = `${pick(FIRST)} ${pick(LAST)}`;
  if (usedNames.has(name)) continue;
  usedNames.add(name);
  actors.push({
    actor_id: actors.length + 1,
    name,
    birth_year: int(1935, 2005),
    nationality: pick(NATIONALITIES),
  });
}
const movieActors = [];
for (const m of movies) {
  const cast = new Set();
  const size = int(1, 4);
  while (cast.size < size) cast.add(int(1, actors.length));
  [...cast].forEach((actor_id, i) => {
    movieActors.push({
      movie_id: m.movie_id,
      actor_id,
      character_name: `${pick(ROLES)} ${pick(LAST)}`,
      billing_order: i + 1,
    });
  });
}

// Reviews: some with unicode, quotes and commas; dates from a fixed range.
const reviews = [];
for (let i = 0; i < 150; i++) {
  const m = i === 0 ? movies[1] : pick(movies);
  const day = new Date(Date.UTC(Math.max(m.release_year, 2000), 0, 1) + int(0, 700) * 86400000);
  reviews.push({
    review_id: i + 1,
    movie_id: m.movie_id,
    reviewer: pick(REVIEWERS),
    score: i === 0 ? 9 : int(1, 10),
    review_date: day.toISOString().slice(0, 10),
    review_text: i === 0 ? 'Powerful, restrained, and "essential" viewing.' : pick(PRAISE),
  });
}

mkdirSync(outDir, { recursive: true });
const counts = {
  directors: writeCsv(
    'directors.csv',
    ['director_id', 'name', 'birth_year', 'nationality', 'awards'],
    directors,
  ),
  movies: writeCsv(
    'movies.csv',
    [
      'movie_id',
      'title',
      'release_year',
      'genre',
      'director_id',
      'runtime_minutes',
      'budget_usd',
      'box_office_usd',
      'rating',
    ],
    movies,
  ),
  actors: writeCsv('actors.csv', ['actor_id', 'name', 'birth_year', 'nationality'], actors),
  movie_actors: writeCsv(
    'movie_actors.csv',
    ['movie_id', 'actor_id', 'character_name', 'billing_order'],
    movieActors,
  ),
  reviews: writeCsv(
    'reviews.csv',
    ['review_id', 'movie_id', 'reviewer', 'score', 'review_date', 'review_text'],
    reviews,
  ),
};
console.log(
  `wrote ${outDir}: ${Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);

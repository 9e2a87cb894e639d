import fr from './fr.json';

// Catalogues by language; English is the messages' default text.
const catalogues = { fr };

/** The catalogue for ``locale`` ("fr", "fr-ca", ...), or null for English and unknown languages. */
export function catalogueFor(locale) {
  const language = String(locale || 'en').toLowerCase();
  return catalogues[language] || catalogues[language.split('-')[0]] || null;
}

export default catalogues;

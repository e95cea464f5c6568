/**
 * A logo for a provider without a brand icon: up to two letters of its name, white on a colour
 * derived from the name (stable, and dark enough for white text).
 */
export function monogramSvg(provider: string): string {
  const words = provider.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const letters = (words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? '?').slice(0, 2)).toUpperCase();
  let hash = 0;
  for (const c of provider) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" role="img" aria-label="${letters}">` +
    `<rect width="32" height="32" rx="7" fill="hsl(${hue} 55% 32%)"/>` +
    `<text x="16" y="16" dy="0.35em" text-anchor="middle" font-family="system-ui,sans-serif" font-size="${letters.length > 1 ? 13 : 16}" font-weight="600" fill="#fff">${letters}</text></svg>`
  );
}

/* global document, localStorage, matchMedia, navigator */
// Runs before first paint (a classic script in <head>, a file of the app's own origin as the CSP wants): the saved
// theme and language apply before the app's module loads, so a slow script never shows other ones first. The
// module reads the language back from <html lang>. Keys: web/src/theme.ts, web/src/i18n.ts.
(function (root, store) {
  var theme, lang;
  try {
    theme = store.getItem('websocket-session.theme');
    lang = store.getItem('websocket-session.lang');
  } catch {
    // storage refused (private mode): the system's choices apply
  }
  root.setAttribute('data-bs-theme', theme === 'dark' || (theme !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches) ? 'dark' : 'light');
  if (lang !== 'en' && lang !== 'pt-BR') lang = /^pt/i.test((navigator.languages || [])[0] || navigator.language) ? 'pt-BR' : 'en';
  root.lang = lang;
})(document.documentElement, localStorage);

// Filters and cross-links for the timelines; the page reads fine without.
document.querySelectorAll('.timeline').forEach(function (tl) {
  function apply() {
    var on = {};
    tl.querySelectorAll('.filters input[data-lane]').forEach(function (c) { on[c.dataset.lane] = c.checked; });
    var warnOnly = tl.querySelector('.filters input.warn-only');
    warnOnly = warnOnly && warnOnly.checked;
    tl.querySelectorAll('[data-lane]').forEach(function (el) {
      if (el.tagName === 'INPUT') return;
      var shown = on[el.dataset.lane] !== false && !(warnOnly && el.dataset.level === 'info' && el.dataset.lane !== 'failure');
      if (el.tagName === 'TR') el.classList.toggle('hidden', !shown);
      else el.style.display = shown ? '' : 'none';
    });
  }
  tl.querySelectorAll('.filters input').forEach(function (c) { c.addEventListener('change', apply); });
  tl.querySelectorAll('svg .mark').forEach(function (m) {
    m.addEventListener('click', function () {
      var row = document.getElementById(m.dataset.row);
      if (!row) return;
      tl.querySelectorAll('tr.hl').forEach(function (r) { r.classList.remove('hl'); });
      row.classList.add('hl');
      row.scrollIntoView({ block: 'center' });
    });
  });
  tl.dataset.ready = 'yes';
});

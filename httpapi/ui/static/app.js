// discod status page: polls members.json every 2 s and redraws the member
// table; applies the status and name filters as they change. Plain
// JavaScript, no build step, no dependencies. Everything from the agent is
// inserted as text (textContent), never as HTML.
(function () {
  'use strict';

  var POLL_MS = 2000;
  var STATUSES = ['alive', 'leaving', 'left', 'failed'];

  var rows = document.getElementById('member-rows');
  var statusSel = document.getElementById('filter-status');
  var nameInput = document.getElementById('filter-name');
  var applyBtn = document.getElementById('filter-apply');
  var form = document.getElementById('filter');
  var shown = document.getElementById('shown');
  var total = document.getElementById('total');
  var live = document.getElementById('live');
  var last = null; // last members.json body

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // clock turns an RFC 3339 UTC time into "2026-01-02 15:04:05 UTC", as
  // the server-side template does.
  function clock(t) {
    return t.replace('T', ' ').replace('Z', ' UTC');
  }

  function matches(m, status, name) {
    return (status === '' || m.Status === status) &&
      (name === '' || m.Name.toLowerCase().indexOf(name.toLowerCase()) >= 0);
  }

  function row(m) {
    var tr = el('tr', 'member');
    tr.dataset.name = m.Name;
    tr.dataset.status = m.Status;
    var name = el('td', 'name', m.Name);
    if (m.Local) {
      name.appendChild(document.createTextNode(' '));
      name.appendChild(el('span', 'self', 'this agent'));
    }
    tr.appendChild(name);
    tr.appendChild(el('td', 'addr', m.Address));
    var st = el('td');
    st.appendChild(el('span', 'status status-' + m.Status, m.Status));
    if (m.Maintenance) {
      st.appendChild(document.createTextNode(' '));
      var mt = el('span', 'maint', 'maintenance');
      mt.title = m.Maintenance;
      st.appendChild(mt);
    }
    tr.appendChild(st);
    tr.appendChild(el('td', '', m.Type));
    tr.appendChild(el('td', '', m.Datacenter));
    var changed = el('td', 'changed', m.Since + ' ');
    changed.title = m.StateChanged;
    changed.appendChild(el('span', 'when', clock(m.StateChanged)));
    tr.appendChild(changed);
    return tr;
  }

  function render() {
    if (!last) return;
    var status = statusSel.value;
    var name = nameInput.value.trim();
    var frag = document.createDocumentFragment();
    var n = 0;
    var counts = {};
    last.Members.forEach(function (m) {
      counts[m.Status] = (counts[m.Status] || 0) + 1;
      if (matches(m, status, name)) {
        frag.appendChild(row(m));
        n++;
      }
    });
    if (n === 0) {
      var tr = el('tr', 'empty');
      var td = el('td', '', 'No member matches the filter.');
      td.colSpan = 6;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    rows.replaceChildren(frag);
    rows.dataset.source = 'live';
    total.textContent = String(last.Members.length);
    STATUSES.forEach(function (s) {
      var pill = document.querySelector('.pill[data-status="' + s + '"] strong');
      if (pill) pill.textContent = String(counts[s] || 0);
    });
    shown.textContent = n + ' of ' + last.Members.length + ' shown';
  }

  // applyFilters redraws and keeps the filters in the address bar, so a
  // reload or a shared link shows the same view.
  function applyFilters() {
    var q = new URLSearchParams();
    if (statusSel.value) q.set('status', statusSel.value);
    if (nameInput.value.trim()) q.set('name', nameInput.value.trim());
    var qs = q.toString();
    history.replaceState(null, '', qs ? '?' + qs : location.pathname);
    render();
  }

  function poll() {
    fetch('members.json', { cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (body) {
        last = body;
        render();
        document.body.dataset.live = 'on';
        live.textContent = 'Live: refreshed every ' + POLL_MS / 1000 + ' s, last at ' + clock(body.Now) + '.';
      })
      .catch(function (err) {
        document.body.dataset.live = 'error';
        live.textContent = 'Cannot reach the agent (' + err.message + '); showing the last data received. Retrying.';
      })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  applyBtn.hidden = true;
  form.addEventListener('submit', function (e) { e.preventDefault(); applyFilters(); });
  statusSel.addEventListener('change', applyFilters);
  nameInput.addEventListener('input', applyFilters);
  poll();
})();

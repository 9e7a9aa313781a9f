// discod status page: polls members.json every 2 s and redraws the member
// table and the services (instances, health, checks) from one body, so the
// two stay in step; applies the filters (status and name for members,
// health and service name for instances) as they change. Plain
// JavaScript, no build step, no dependencies. Everything from the agent is
// inserted as text (textContent), never as HTML.
(function () {
  'use strict';

  var POLL_MS = 2000;
  var STATUSES = ['alive', 'leaving', 'left', 'failed'];
  var HEALTHS = ['passing', 'warning', 'critical', 'maintenance'];

  var rows = document.getElementById('member-rows');
  var statusSel = document.getElementById('filter-status');
  var nameInput = document.getElementById('filter-name');
  var healthSel = document.getElementById('filter-health');
  var serviceInput = document.getElementById('filter-service');
  var services = document.getElementById('services');
  var serviceShown = document.getElementById('service-shown');
  var serviceTotal = document.getElementById('service-total');
  var instanceTotal = document.getElementById('instance-total');
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

  function text(t) {
    return document.createTextNode(t);
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

  // check draws one check: its status, name and output; an output too long
  // to show inline (Short is set) is cut, with the whole of it in the
  // tooltip and in an expandable <details>.
  function check(c) {
    var li = el('li', 'check');
    li.dataset.check = c.CheckID;
    li.dataset.status = c.Status;
    var dot = el('span', 'dot status-' + c.Status, c.Status);
    dot.title = c.Status;
    li.appendChild(dot);
    li.appendChild(text(' '));
    li.appendChild(el('span', 'check-name', c.Name));
    if (c.Short) {
      li.appendChild(text(' '));
      var d = el('details', 'output');
      var sum = el('summary', '', c.Short);
      sum.title = c.Output;
      d.appendChild(sum);
      d.appendChild(el('pre', '', c.Output));
      li.appendChild(d);
    } else if (c.Output) {
      li.appendChild(text(' '));
      li.appendChild(el('span', 'output', c.Output));
    }
    return li;
  }

  function instanceRow(svc, inst) {
    var tr = el('tr', 'instance');
    tr.dataset.node = inst.Node;
    tr.dataset.id = inst.ID;
    tr.dataset.health = inst.Status;
    var name = el('td', 'name', inst.Node);
    if (inst.ID !== svc.Name) {
      name.appendChild(text(' '));
      var id = el('span', 'svc-id', inst.ID);
      id.title = 'service ID';
      name.appendChild(id);
    }
    tr.appendChild(name);
    tr.appendChild(el('td', 'addr', inst.Address));
    var tags = el('td', 'tags');
    inst.Tags.forEach(function (t) {
      tags.appendChild(el('span', 'tag', t));
      tags.appendChild(text(' '));
    });
    tr.appendChild(tags);
    var st = el('td');
    st.appendChild(el('span', 'status status-' + inst.Status, inst.Status));
    tr.appendChild(st);
    var checks = el('td', 'checks');
    var ul = el('ul');
    inst.Checks.forEach(function (c) { ul.appendChild(check(c)); });
    checks.appendChild(ul);
    tr.appendChild(checks);
    return tr;
  }

  function serviceBody(svc, insts) {
    var tb = el('tbody', 'service');
    tb.dataset.service = svc.Name;
    var head = el('tr', 'service-head');
    var th = el('th');
    th.colSpan = 5;
    th.appendChild(el('span', 'svc-name', svc.Name));
    svc.Tags.forEach(function (t) {
      th.appendChild(text(' '));
      th.appendChild(el('span', 'tag', t));
    });
    th.appendChild(text(' '));
    th.appendChild(el('span', 'svc-n', insts.length + ' shown'));
    head.appendChild(th);
    tb.appendChild(head);
    insts.forEach(function (inst) { tb.appendChild(instanceRow(svc, inst)); });
    return tb;
  }

  // detailsKey names an output's <details> across redraws, so that one
  // the reader opened stays open.
  function detailsKey(d) {
    var li = d.closest('li.check');
    var tr = d.closest('tr.instance');
    var tb = d.closest('tbody.service');
    return [tb && tb.dataset.service, tr && tr.dataset.node, tr && tr.dataset.id, li && li.dataset.check].join('\u0000');
  }

  function renderServices() {
    var health = healthSel.value;
    var name = serviceInput.value.trim().toLowerCase();
    var open = {};
    services.querySelectorAll('details[open]').forEach(function (d) { open[detailsKey(d)] = true; });
    var frag = document.createDocumentFragment();
    var counts = {};
    var all = 0;
    var n = 0;
    last.Services.forEach(function (svc) {
      var keep = svc.Instances.filter(function (inst) {
        counts[inst.Status] = (counts[inst.Status] || 0) + 1;
        all++;
        return (health === '' || inst.Status === health) &&
          (name === '' || svc.Name.toLowerCase().indexOf(name) >= 0);
      });
      if (keep.length > 0) {
        frag.appendChild(serviceBody(svc, keep));
        n += keep.length;
      }
    });
    if (n === 0) {
      var tb = el('tbody', 'empty');
      var tr = el('tr', 'empty');
      var td = el('td', '', last.Services.length ? 'No service instance matches the filter.' : 'No service is registered in the catalog.');
      td.colSpan = 5;
      tr.appendChild(td);
      tb.appendChild(tr);
      frag.appendChild(tb);
    }
    services.querySelectorAll('tbody').forEach(function (tb) { tb.remove(); });
    services.appendChild(frag);
    services.querySelectorAll('details').forEach(function (d) {
      if (open[detailsKey(d)]) d.open = true;
    });
    services.dataset.source = 'live';
    serviceTotal.textContent = String(last.Services.length);
    instanceTotal.textContent = String(all);
    HEALTHS.forEach(function (h) {
      var pill = document.querySelector('.pill[data-health="' + h + '"] strong');
      if (pill) pill.textContent = String(counts[h] || 0);
    });
    serviceShown.textContent = n + ' of ' + all + ' instances shown';
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
    renderServices();
  }

  // applyFilters redraws and keeps the filters in the address bar, so a
  // reload or a shared link shows the same view.
  function applyFilters() {
    var q = new URLSearchParams();
    if (statusSel.value) q.set('status', statusSel.value);
    if (nameInput.value.trim()) q.set('name', nameInput.value.trim());
    if (healthSel.value) q.set('health', healthSel.value);
    if (serviceInput.value.trim()) q.set('service', serviceInput.value.trim());
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

  document.querySelectorAll('button.apply').forEach(function (b) { b.hidden = true; });
  form.addEventListener('submit', function (e) { e.preventDefault(); applyFilters(); });
  statusSel.addEventListener('change', applyFilters);
  nameInput.addEventListener('input', applyFilters);
  healthSel.addEventListener('change', applyFilters);
  serviceInput.addEventListener('input', applyFilters);
  poll();
})();

package membership

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/discod/discod/catalog"
)

// The wire format of services and checks.
//
// Every records message is a user message: its type byte (below), then
// one length-prefixed string (appendString) holding the payload. Older
// agents read that framing (decodeFields) and ignore the unknown type
// without a warning.
//
// A delta or set payload is binary: a format version byte
// (recordsWireVersion), the owner's node name, the From and To versions
// (four uvarints: From's epoch and seq, To's epoch less From's, which is 0
// within a run, and To's seq; a set has From zero), then the services, the checks,
// the deleted service IDs and the deleted check IDs, each list a uvarint
// count followed by its entries. Strings are uvarint-length-prefixed,
// integers are (zig-zag) varints, booleans are bits of a flags byte.
// The CreateIndex and ModifyIndex fields are the receiving store's, and
// a check's Node is filled in by the store's reads: neither is sent.
//
// Decoding never trusts a count or a length: each is checked against the
// limits below and against the bytes left, so hostile input costs no more
// memory than its own size and never panics.
const (
	msgRecordsDelta  byte = 16 // records payload: one change of the sender's records, From → To
	msgRecordsSet    byte = 17 // records payload: the sender's whole record set at To
	msgRecordsPull   byte = 18 // owner name, requester name: "send me your whole set"
	msgRecordsDigest byte = 19 // owner name, epoch, seq: the version of the owner's records
	// msgRecordsExchange: sender name, flags byte, digests as in the
	// push/pull state (encodeDigests): the versions of the owners the
	// sender holds (records_exchange.go).
	msgRecordsExchange byte = 20
	// msgRecordsPullSince: owner name, requester name, epoch, seq: "send
	// me your changes since this version" (records_history.go).
	msgRecordsPullSince byte = 21
)

// recordsWireVersion is the first byte of a delta or set payload.
// Version 2 is version 1 followed by the external nodes (the owner's
// nodes without an agent, each whole: name, ID, address, tagged
// addresses, meta, services, checks) and the names of the external nodes
// deleted. A message without external nodes is still written as version
// 1, so that agents that read only version 1 keep reading it.
const (
	recordsWireVersion    = 2
	recordsWireVersionOne = 1
)

// The limits of one records message: one home for the encoder, which
// refuses to send what peers would refuse, and for the decoder.
const (
	// maxRecordsServices and maxRecordsChecks bound one message's lists
	// (deletes included). discod promises 1,000 instances per agent.
	maxRecordsServices = 8192
	maxRecordsChecks   = 4 * maxRecordsServices
	// maxRecordsList bounds tags, meta pairs, tagged addresses, header
	// names and the values of one header.
	maxRecordsList = 1024
	// maxRecordsString bounds every string (a check's output is the
	// longest Consul keeps: 4 KiB by default).
	maxRecordsString = 64 << 10
	// maxRecordsPacket is the size up to which a message goes out as one
	// UDP packet; larger ones go over TCP. memberlist's packet budget is
	// 1,400 bytes, less its framing, label and encryption overhead.
	maxRecordsPacket = 1200
	// maxRecordsEpochAhead is how far ahead of the receiver's clock an
	// owner's epoch may be (clock skew between machines).
	maxRecordsEpochAhead = 24 * time.Hour
)

// recordsMsg is a decoded delta or set: Owner's records, changed by
// Delta (for a set: Delta.From is zero and Services and Checks are the
// whole set).
type recordsMsg struct {
	Owner string
	Delta catalog.Delta
}

var errRecordsLimit = errors.New("over the limit")

// wireWriter appends to b and remembers the first limit it hit.
type wireWriter struct {
	b   []byte
	err error
}

func (w *wireWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *wireWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }

func (w *wireWriter) str(field, s string) {
	if len(s) > maxRecordsString && w.err == nil {
		w.err = fmt.Errorf("%s: %d bytes: %w of %d", field, len(s), errRecordsLimit, maxRecordsString)
	}
	w.b = appendString(w.b, s)
}

func (w *wireWriter) count(field string, n, limit int) {
	if n > limit && w.err == nil {
		w.err = fmt.Errorf("%s: %d entries: %w of %d", field, n, errRecordsLimit, limit)
	}
	w.uvarint(uint64(n))
}

// strMap writes m as a count and its pairs in key order.
func (w *wireWriter) strMap(field string, m map[string]string) {
	w.count(field, len(m), maxRecordsList)
	for _, k := range sortedKeys(m) {
		w.str(field+" key", k)
		w.str(field+" value", m[k])
	}
}

// encodeRecordsMsg returns the user message of type typ (msgRecordsDelta
// or msgRecordsSet) carrying m, or an error naming the field over a limit.
func encodeRecordsMsg(typ byte, m recordsMsg) ([]byte, error) {
	w := &wireWriter{b: make([]byte, 0, 256)}
	d := &m.Delta
	ext := len(d.Nodes)+len(d.DeleteNodes) > 0
	if ext {
		w.b = append(w.b, recordsWireVersion)
	} else {
		w.b = append(w.b, recordsWireVersionOne)
	}
	w.str("owner", m.Owner)
	if !d.From.Less(d.To) {
		return nil, fmt.Errorf("encode the records of %s: version %v does not follow %v", m.Owner, d.To, d.From)
	}
	w.uvarint(d.From.Epoch)
	w.uvarint(d.From.Seq)
	w.uvarint(d.To.Epoch - d.From.Epoch) // 0 within a run
	w.uvarint(d.To.Seq)
	encodeRows(w, "", d.Services, d.Checks)
	w.count("deleted services", len(d.DeleteServices), maxRecordsServices)
	for _, id := range d.DeleteServices {
		w.str("deleted service ID", id)
	}
	w.count("deleted checks", len(d.DeleteChecks), maxRecordsChecks)
	for _, id := range d.DeleteChecks {
		w.str("deleted check ID", id)
	}
	if ext {
		encodeExternal(w, d)
	}
	if w.err != nil {
		return nil, fmt.Errorf("encode the records of %s: %w", m.Owner, w.err)
	}
	return frameRecordsMsg(typ, w.b), nil
}

// frameRecordsMsg returns payload framed as a user message of type typ.
func frameRecordsMsg(typ byte, payload []byte) []byte {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(payload))
	out = append(out, typ)
	return appendString(out, string(payload))
}

// encodeRows writes services and checks as two counted lists; prefix
// goes before the field names in errors ("" or "external node ").
func encodeRows(w *wireWriter, prefix string, svcs []catalog.Service, checks []catalog.Check) {
	w.count(prefix+"services", len(svcs), maxRecordsServices)
	for i := range svcs {
		encodeService(w, &svcs[i])
	}
	w.count(prefix+"checks", len(checks), maxRecordsChecks)
	for i := range checks {
		encodeCheck(w, &checks[i])
	}
}

func encodeService(w *wireWriter, s *catalog.Service) {
	w.str("service ID", s.ID)
	w.str("service name", s.Name)
	w.count("tags", len(s.Tags), maxRecordsList)
	for _, t := range s.Tags {
		w.str("tag", t)
	}
	w.str("service address", s.Address)
	w.varint(int64(s.Port))
	w.strMap("meta", s.Meta)
	w.count("tagged addresses", len(s.TaggedAddresses), maxRecordsList)
	for _, k := range sortedKeys(s.TaggedAddresses) {
		ta := s.TaggedAddresses[k]
		w.str("tagged address tag", k)
		w.str("tagged address", ta.Address)
		w.varint(int64(ta.Port))
	}
	var flags byte
	if s.EnableTagOverride {
		flags |= 1
	}
	w.b = append(w.b, flags)
	w.varint(int64(s.Weights.Passing))
	w.varint(int64(s.Weights.Warning))
}

func encodeCheck(w *wireWriter, c *catalog.Check) {
	w.str("check ID", c.CheckID)
	w.str("check name", c.Name)
	w.str("check status", c.Status)
	w.str("check notes", c.Notes)
	w.str("check output", c.Output)
	w.str("check service ID", c.ServiceID)
	w.str("check service name", c.ServiceName)
	w.str("check type", c.Type)
	def := &c.Definition
	for _, s := range [...]string{def.HTTP, def.TCP, def.UDP, def.GRPC, def.H2PING, def.Method} {
		w.str("check definition", s)
	}
	w.count("check header", len(def.Header), maxRecordsList)
	for _, k := range sortedKeys(def.Header) {
		w.str("check header name", k)
		vs := def.Header[k]
		w.count("check header values", len(vs), maxRecordsList)
		for _, v := range vs {
			w.str("check header value", v)
		}
	}
	w.str("check body", def.Body)
	w.str("check TLS server name", def.TLSServerName)
	var flags byte
	if def.TLSSkipVerify {
		flags |= 1
	}
	w.b = append(w.b, flags)
	w.varint(int64(def.Interval))
	w.varint(int64(def.Timeout))
	w.varint(int64(def.DeregisterCriticalServiceAfter))
}

// wireReader consumes b and remembers the first error, naming the field.
// After an error every read returns a zero value.
type wireReader struct {
	b   []byte
	err error
}

var errRecordsTruncated = errors.New("truncated")

func (r *wireReader) fail(field string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", field, err)
	}
	r.b = nil
}

func (r *wireReader) uvarint(field string) uint64 {
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail(field, errRecordsTruncated)
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *wireReader) varint(field string) int64 {
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.fail(field, errRecordsTruncated)
		return 0
	}
	r.b = r.b[k:]
	return v
}

// int reads a varint that must fit a 32-bit int (ports, weights).
func (r *wireReader) int(field string) int {
	v := r.varint(field)
	if v < -1<<31 || v > 1<<31-1 {
		r.fail(field, fmt.Errorf("%d: %w of 32 bits", v, errRecordsLimit))
		return 0
	}
	return int(v)
}

func (r *wireReader) byte1(field string) byte {
	if len(r.b) == 0 {
		r.fail(field, errRecordsTruncated)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wireReader) str(field string) string {
	n := r.uvarint(field)
	switch {
	case r.err != nil:
		return ""
	case n > maxRecordsString:
		r.fail(field, fmt.Errorf("%d bytes: %w of %d", n, errRecordsLimit, maxRecordsString))
		return ""
	case n > uint64(len(r.b)):
		r.fail(field, errRecordsTruncated)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// count reads a list length: at most limit, and no more than the bytes
// left (every entry takes at least one), so that no allocation outgrows
// the input.
// strMap reads a map written by wireWriter.strMap; nil when empty.
func (r *wireReader) strMap(field string) map[string]string {
	n := r.count(field, maxRecordsList)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str(field + " key")
		m[k] = r.str(field + " value")
	}
	return m
}

func (r *wireReader) count(field string, limit int) int {
	n := r.uvarint(field)
	switch {
	case r.err != nil:
		return 0
	case n > uint64(limit):
		r.fail(field, fmt.Errorf("%d entries: %w of %d", n, errRecordsLimit, limit))
		return 0
	case n > uint64(len(r.b)):
		r.fail(field, errRecordsTruncated)
		return 0
	}
	return int(n)
}

// decodeRecordsPayload parses the payload of a delta or set message (the
// string after the type byte).
func decodeRecordsPayload(b []byte) (recordsMsg, error) {
	var m recordsMsg
	r := &wireReader{b: b}
	v := r.byte1("format version")
	if r.err == nil && v != recordsWireVersion && v != recordsWireVersionOne {
		return m, fmt.Errorf("records format version %d: this build reads %d and %d", v, recordsWireVersionOne, recordsWireVersion)
	}
	m.Owner = r.str("owner")
	d := &m.Delta
	d.From.Epoch, d.From.Seq = r.uvarint("from epoch"), r.uvarint("from seq")
	if step := r.uvarint("to epoch"); step > math.MaxUint64-d.From.Epoch {
		r.fail("to epoch", fmt.Errorf("%d after %d: %w of 64 bits", step, d.From.Epoch, errRecordsLimit))
	} else {
		d.To.Epoch = d.From.Epoch + step
	}
	d.To.Seq = r.uvarint("to seq")
	if n := r.count("services", maxRecordsServices); n > 0 {
		d.Services = make([]catalog.Service, n)
		for i := range d.Services {
			decodeService(r, &d.Services[i])
			if r.err != nil {
				return m, fmt.Errorf("records of %q: service %d: %w", m.Owner, i, r.err)
			}
		}
	}
	if n := r.count("checks", maxRecordsChecks); n > 0 {
		d.Checks = make([]catalog.Check, n)
		for i := range d.Checks {
			decodeCheck(r, &d.Checks[i])
			if r.err != nil {
				return m, fmt.Errorf("records of %q: check %d: %w", m.Owner, i, r.err)
			}
		}
	}
	if n := r.count("deleted services", maxRecordsServices); n > 0 {
		d.DeleteServices = make([]string, n)
		for i := range d.DeleteServices {
			d.DeleteServices[i] = r.str("deleted service ID")
		}
	}
	if n := r.count("deleted checks", maxRecordsChecks); n > 0 {
		d.DeleteChecks = make([]string, n)
		for i := range d.DeleteChecks {
			d.DeleteChecks[i] = r.str("deleted check ID")
		}
	}
	if v == recordsWireVersion && r.err == nil {
		if err := decodeExternal(r, d); err != nil {
			return m, fmt.Errorf("records of %q: %w", m.Owner, err)
		}
	}
	switch {
	case r.err != nil:
		return m, fmt.Errorf("records of %q: %w", m.Owner, r.err)
	case len(r.b) > 0:
		return m, fmt.Errorf("records of %q: %d bytes after the end", m.Owner, len(r.b))
	case m.Owner == "":
		return m, errors.New("records without an owner")
	case d.To.IsZero() || !d.From.Less(d.To):
		return m, fmt.Errorf("records of %q: version %v does not follow %v", m.Owner, d.To, d.From)
	case d.To.Epoch > uint64(time.Now().Add(maxRecordsEpochAhead).UnixNano()):
		// An epoch is the start of the owner's run: one from the future
		// would outrank every later run of the owner for good.
		return m, fmt.Errorf("records of %q: epoch %d is more than %v ahead of this clock", m.Owner, d.To.Epoch, maxRecordsEpochAhead)
	}
	return m, nil
}

func decodeService(r *wireReader, s *catalog.Service) {
	s.ID = r.str("ID")
	s.Name = r.str("name")
	if n := r.count("tags", maxRecordsList); n > 0 {
		s.Tags = make([]string, n)
		for i := range s.Tags {
			s.Tags[i] = r.str("tag")
		}
	}
	s.Address = r.str("address")
	s.Port = r.int("port")
	s.Meta = r.strMap("meta")
	if n := r.count("tagged addresses", maxRecordsList); n > 0 {
		s.TaggedAddresses = make(map[string]catalog.ServiceAddress, n)
		for range n {
			k := r.str("tagged address tag")
			a := r.str("tagged address")
			s.TaggedAddresses[k] = catalog.ServiceAddress{Address: a, Port: r.int("tagged address port")}
		}
	}
	s.EnableTagOverride = r.byte1("flags")&1 != 0
	s.Weights.Passing = r.int("passing weight")
	s.Weights.Warning = r.int("warning weight")
	if r.err == nil && s.ID == "" {
		r.fail("ID", errors.New("empty"))
	}
}

func decodeCheck(r *wireReader, c *catalog.Check) {
	c.CheckID = r.str("ID")
	c.Name = r.str("name")
	c.Status = r.str("status")
	c.Notes = r.str("notes")
	c.Output = r.str("output")
	c.ServiceID = r.str("service ID")
	c.ServiceName = r.str("service name")
	c.Type = r.str("type")
	def := &c.Definition
	for _, p := range [...]*string{&def.HTTP, &def.TCP, &def.UDP, &def.GRPC, &def.H2PING, &def.Method} {
		*p = r.str("definition")
	}
	if n := r.count("header", maxRecordsList); n > 0 {
		def.Header = make(map[string][]string, n)
		for range n {
			k := r.str("header name")
			vs := make([]string, r.count("header values", maxRecordsList))
			for i := range vs {
				vs[i] = r.str("header value")
			}
			def.Header[k] = vs
		}
	}
	def.Body = r.str("body")
	def.TLSServerName = r.str("TLS server name")
	def.TLSSkipVerify = r.byte1("flags")&1 != 0
	def.Interval = time.Duration(r.varint("interval"))
	def.Timeout = time.Duration(r.varint("timeout"))
	def.DeregisterCriticalServiceAfter = time.Duration(r.varint("deregister critical service after"))
	if r.err == nil && c.CheckID == "" {
		r.fail("ID", errors.New("empty"))
	}
}

// encodeRecordsDigest returns the digest message: owner's records are at v.
func encodeRecordsDigest(owner string, v catalog.Version) []byte {
	p := appendString(nil, owner)
	p = binary.AppendUvarint(p, v.Epoch)
	p = binary.AppendUvarint(p, v.Seq)
	return frameRecordsMsg(msgRecordsDigest, p)
}

func decodeRecordsDigest(b []byte) (string, catalog.Version, error) {
	r := &wireReader{b: b}
	owner := r.str("owner")
	v := catalog.Version{Epoch: r.uvarint("epoch"), Seq: r.uvarint("seq")}
	switch {
	case r.err != nil:
		return "", v, fmt.Errorf("records digest: %w", r.err)
	case owner == "" || len(r.b) > 0:
		return "", v, errors.New("records digest: no owner, or bytes after the end")
	}
	return owner, v, nil
}

// encodeRecordsPull returns the pull request: requester asks owner for
// its whole set.
func encodeRecordsPull(owner, requester string) []byte {
	return frameRecordsMsg(msgRecordsPull, appendString(appendString(nil, owner), requester))
}

func decodeRecordsPull(b []byte) (owner, requester string, err error) {
	r := &wireReader{b: b}
	owner, requester = r.str("owner"), r.str("requester")
	switch {
	case r.err != nil:
		return "", "", fmt.Errorf("records pull: %w", r.err)
	case owner == "" || requester == "" || len(r.b) > 0:
		return "", "", errors.New("records pull: no owner or requester, or bytes after the end")
	}
	return owner, requester, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

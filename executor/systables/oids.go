package systables

import "github.com/eddydb/eddy/storage"

// OIDs (keeps S3). PostgreSQL gives every catalog row an OID; eddy's catalog has IDs only for
// schemas and tables, so the other objects a table implies get OIDs derived from its ID:
//
//	object                          OID
//	schema, table                   its storage ID (user objects from storage.FirstUserID)
//	virtual table                   Table.OID: PostgreSQL 15's own OID for that relation
//	built-in type, function, am,    PostgreSQL 15's own OID (int4 = 23, int4in = 42,
//	collation, language, opclass    btree = 403, default collation = 100, ...)
//	a source's foreign server       t.ID + 0x20000000
//	primary-key index <t>_pkey      t.ID + 0x40000000
//	primary-key constraint          t.ID + 0x60000000
//	a relation's row type           relation OID + 0x80000000
//	a view's _RETURN rule           t.ID + 0xA0000000
//	column default (pg_attrdef)     0xC0000000 | (t.ID & 0x7FFFF)<<11 | attnum
//
// PostgreSQL's built-in OIDs are all below FirstUserID (16384), and the derived ranges start at
// 2^29, so nothing collides as long as table IDs stay below 2^29 (and, for pg_attrdef only,
// below 2^19 with fewer than 2048 columns), which eddy's sequential IDs do in practice.
const (
	foreignSrvOffset uint32 = 0x20000000
	pkIndexOffset    uint32 = 0x40000000
	pkConstrOffset   uint32 = 0x60000000
	rowTypeOffset    uint32 = 0x80000000
	ruleOffset       uint32 = 0xA0000000
	attrdefOIDPrefix uint32 = 0xC0000000

	superuserOID      uint32 = 10 // the bootstrap superuser, PostgreSQL's BOOTSTRAP_SUPERUSERID
	heapAMOID         uint32 = 2
	btreeAMOID        uint32 = 403
	defaultCollID     uint32 = 100
	cCollID           uint32 = 950
	posixCollID       uint32 = 951
	langInternal      uint32 = 12
	langC             uint32 = 13
	langSQL           uint32 = 14
	pgDefaultTS       uint32 = 1663 // tablespace pg_default
	pgGlobalTS        uint32 = 1664 // tablespace pg_global
	pgClassOID        uint32 = 1259
	pgProcOID         uint32 = 1255
	pgTypeOID         uint32 = 1247
	pgNamespaceRelOID uint32 = 2615
	pgRewriteOID      uint32 = 2618
)

func pkIndexOID(t *storage.TableDesc) uint32 { return t.ID + pkIndexOffset }

func pkConstraintOID(t *storage.TableDesc) uint32 { return t.ID + pkConstrOffset }

func rowTypeOID(relOID uint32) uint32 { return relOID + rowTypeOffset }

func attrdefOID(t *storage.TableDesc, attnum int) uint32 {
	return attrdefOIDPrefix | (t.ID&0x7FFFF)<<11 | uint32(attnum)&0x7FF
}

func ruleOID(t *storage.TableDesc) uint32 { return t.ID + ruleOffset }

func foreignServerOID(t *storage.TableDesc) uint32 { return t.ID + foreignSrvOffset }

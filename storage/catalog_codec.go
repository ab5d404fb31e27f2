package storage

import (
	"encoding/json"
	"fmt"

	"github.com/eddydb/eddy/sql/types"
)

// The catalog is persisted (and carried in DDL commands) as JSON of the wire structs below:
// JSON of structs and slices is deterministic, and the catalog changes rarely. ColumnDesc.Missing
// is an arbitrary datum, so it travels in the row-value field encoding (rowcodec.go).

type catalogWire struct {
	Version uint64
	Schemas []*SchemaDesc
	Tables  []*tableWire
	NextID  uint32
	// Settings is absent in catalogs written before ALTER SYSTEM existed.
	Settings []SystemSetting `json:",omitempty"`
}

type tableWire struct {
	ID           uint32
	SchemaID     uint32
	Name         string
	Columns      []*columnWire
	Version      uint64
	PrimaryKey   []int
	NextColumnID uint32
	Kind         RelKind       `json:",omitempty"`
	View         *ViewDef      `json:",omitempty"`
	Connector    *ConnectorDef `json:",omitempty"`
	Watermark    *WatermarkDef `json:",omitempty"`
	Paused       bool          `json:",omitempty"`
}

type columnWire struct {
	ID      uint32
	Name    string
	Type    types.T
	NotNull bool   `json:",omitempty"`
	Default string `json:",omitempty"`
	Hidden  bool   `json:",omitempty"`
	Missing []byte `json:",omitempty"`
}

func tableToWire(t *TableDesc) *tableWire {
	w := &tableWire{ID: t.ID, SchemaID: t.SchemaID, Name: t.Name, Version: t.Version,
		PrimaryKey: t.PrimaryKey, NextColumnID: t.NextColumnID, Kind: t.Kind, View: t.View, Connector: t.Connector, Watermark: t.Watermark, Paused: t.Paused}
	for _, c := range t.Columns {
		cw := &columnWire{ID: c.ID, Name: c.Name, Type: c.Type, NotNull: c.NotNull, Default: c.Default, Hidden: c.Hidden}
		if c.Missing != nil {
			cw.Missing = appendValueDatum(nil, 0, c.Type, c.Missing)
		}
		w.Columns = append(w.Columns, cw)
	}
	return w
}

func tableFromWire(w *tableWire) (*TableDesc, error) {
	t := &TableDesc{ID: w.ID, SchemaID: w.SchemaID, Name: w.Name, Version: w.Version,
		PrimaryKey: w.PrimaryKey, NextColumnID: w.NextColumnID, Kind: w.Kind, View: w.View, Connector: w.Connector, Watermark: w.Watermark, Paused: w.Paused}
	for _, cw := range w.Columns {
		c := &ColumnDesc{ID: cw.ID, Name: cw.Name, Type: cw.Type, NotNull: cw.NotNull, Default: cw.Default, Hidden: cw.Hidden}
		if cw.Missing != nil {
			v, err := decodeSingleValue(c.Type, cw.Missing)
			if err != nil {
				return nil, fmt.Errorf("decode default of column %q: %w", c.Name, err)
			}
			c.Missing = v
		}
		t.Columns = append(t.Columns, c)
	}
	return t, nil
}

// decodeSingleValue decodes one value field written with column ID 0.
func decodeSingleValue(t types.T, b []byte) (any, error) {
	td := &TableDesc{Columns: []*ColumnDesc{{ID: 0, Type: t}}}
	c := newRowCodec(td)
	row := make([]any, 1)
	if err := c.decodeRow([]byte{tablePrefix, 0, 0, 0, 0}, b, row); err != nil {
		return nil, err
	}
	return row[0], nil
}

func encodeCatalog(c *Catalog) ([]byte, error) {
	w := catalogWire{Version: c.Version, Schemas: c.Schemas, NextID: c.NextID, Settings: c.Settings}
	for _, t := range c.Tables {
		w.Tables = append(w.Tables, tableToWire(t))
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("encode catalog: %w", err)
	}
	return b, nil
}

func decodeCatalog(b []byte) (*Catalog, error) {
	var w catalogWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode catalog: %w", err)
	}
	c := &Catalog{Version: w.Version, Schemas: w.Schemas, NextID: w.NextID, Settings: w.Settings}
	for _, tw := range w.Tables {
		t, err := tableFromWire(tw)
		if err != nil {
			return nil, fmt.Errorf("decode table %q: %w", tw.Name, err)
		}
		c.Tables = append(c.Tables, t)
	}
	return c, nil
}

// bootstrapCatalog is the catalog of a fresh store.
func bootstrapCatalog() *Catalog {
	return &Catalog{
		Schemas: []*SchemaDesc{
			{ID: PgCatalogSchemaID, Name: "pg_catalog"},
			{ID: PublicSchemaID, Name: DefaultSchemaName},
			{ID: InformationSchemaID, Name: "information_schema"},
			{ID: EddyCatalogSchemaID, Name: "eddy_catalog"},
		},
		NextID: FirstUserID,
	}
}

package sql

import (
	"slices"
	"strings"
)

// FormatStatement prints a statement as canonical PostgreSQL text that Parse reads back into an
// equal AST (positions aside).
func FormatStatement(s Statement) string {
	var sb strings.Builder
	writeStmt(&sb, s)
	return sb.String()
}

func writeOptions(sb *strings.Builder, opts []*Option) {
	sb.WriteByte('(')
	for i, o := range opts {
		if i > 0 {
			sb.WriteString(", ")
		}
		parts := strings.Split(o.Key, ".")
		if slices.Contains(parts, "") {
			// A quoted name such as "." has empty path parts: keep it one identifier.
			parts = []string{o.Key}
		}
		for j, p := range parts {
			if j > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(formatIdent(p))
		}
		sb.WriteString(" = " + formatString(o.Value))
	}
	sb.WriteByte(')')
}

func writeColumnDef(sb *strings.Builder, c *ColumnDef) {
	sb.WriteString(formatIdent(c.Name))
	if c.Type == nil {
		return
	}
	sb.WriteByte(' ')
	if c.Serial {
		sb.WriteString(map[string]string{"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}[c.Type.Name])
	} else {
		sb.WriteString(formatType(c.Type))
	}
	if c.NotNull {
		sb.WriteString(" NOT NULL")
	}
	if c.Null {
		sb.WriteString(" NULL")
	}
	if c.PrimaryKey {
		sb.WriteString(" PRIMARY KEY")
	}
	if c.Unique {
		sb.WriteString(" UNIQUE")
	}
	if c.Default != nil {
		sb.WriteString(" DEFAULT ")
		writeOperand(sb, c.Default)
	}
}

func writeAssignments(sb *strings.Builder, as []*Assignment) {
	for i, a := range as {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(formatIdent(a.Column) + " = ")
		writeExpr(sb, a.Expr)
	}
}

func writeReturning(sb *strings.Builder, items []*SelectItem) {
	if len(items) > 0 {
		sb.WriteString(" RETURNING ")
		writeSelectItems(sb, items)
	}
}

var objectKinds = []string{"TABLE", "VIEW", "MATERIALIZED VIEW", "SCHEMA", "SOURCE", "SINK", "INDEX"}

func writeStmt(sb *strings.Builder, s Statement) {
	switch x := s.(type) {
	case *SelectStmt:
		writeQuery(sb, x.Query)
	case *InsertStmt:
		sb.WriteString("INSERT INTO " + formatObjName(x.Table))
		if x.Alias != "" {
			sb.WriteString(" AS " + formatIdent(x.Alias))
		}
		if len(x.Columns) > 0 {
			sb.WriteString(" (" + formatIdents(x.Columns) + ")")
		}
		if x.DefaultValues {
			sb.WriteString(" DEFAULT VALUES")
		} else if x.Source != nil {
			sb.WriteByte(' ')
			writeQuery(sb, x.Source)
		}
		if oc := x.OnConflict; oc != nil {
			sb.WriteString(" ON CONFLICT")
			if len(oc.Columns) > 0 {
				sb.WriteString(" (" + formatIdents(oc.Columns) + ")")
			}
			if oc.DoNothing {
				sb.WriteString(" DO NOTHING")
			} else {
				sb.WriteString(" DO UPDATE SET ")
				writeAssignments(sb, oc.Set)
				if oc.Where != nil {
					sb.WriteString(" WHERE ")
					writeExpr(sb, oc.Where)
				}
			}
		}
		writeReturning(sb, x.Returning)
	case *UpdateStmt:
		sb.WriteString("UPDATE " + formatObjName(x.Table))
		if x.Alias != "" {
			sb.WriteString(" AS " + formatIdent(x.Alias))
		}
		sb.WriteString(" SET ")
		writeAssignments(sb, x.Set)
		if len(x.From) > 0 {
			sb.WriteString(" FROM ")
			writeFromList(sb, x.From)
		}
		if x.Where != nil {
			sb.WriteString(" WHERE ")
			writeExpr(sb, x.Where)
		}
		writeReturning(sb, x.Returning)
	case *DeleteStmt:
		sb.WriteString("DELETE FROM " + formatObjName(x.Table))
		if x.Alias != "" {
			sb.WriteString(" AS " + formatIdent(x.Alias))
		}
		if len(x.Using) > 0 {
			sb.WriteString(" USING ")
			writeFromList(sb, x.Using)
		}
		if x.Where != nil {
			sb.WriteString(" WHERE ")
			writeExpr(sb, x.Where)
		}
		writeReturning(sb, x.Returning)
	case *CopyStmt:
		sb.WriteString("COPY ")
		if x.Query != nil {
			sb.WriteByte('(')
			writeQuery(sb, x.Query)
			sb.WriteByte(')')
		} else {
			sb.WriteString(formatObjName(x.Table))
			if len(x.Columns) > 0 {
				sb.WriteString(" (" + formatIdents(x.Columns) + ")")
			}
		}
		if x.From {
			sb.WriteString(" FROM STDIN")
		} else {
			sb.WriteString(" TO STDOUT")
		}
		var opts []string
		o := x.Options
		if o.Format != "" {
			f := formatIdent(o.Format)
			if simpleWord(o.Format) {
				f = o.Format
			}
			opts = append(opts, "FORMAT "+f)
		}
		if o.Delimiter != "" {
			opts = append(opts, "DELIMITER "+formatString(o.Delimiter))
		}
		if o.Null != nil {
			opts = append(opts, "NULL "+formatString(*o.Null))
		}
		if o.Header {
			opts = append(opts, "HEADER true")
		}
		if o.Quote != "" {
			opts = append(opts, "QUOTE "+formatString(o.Quote))
		}
		if o.Escape != "" {
			opts = append(opts, "ESCAPE "+formatString(o.Escape))
		}
		if len(opts) > 0 {
			sb.WriteString(" WITH (" + strings.Join(opts, ", ") + ")")
		}
	case *TruncateStmt:
		sb.WriteString("TRUNCATE TABLE ")
		for i, t := range x.Tables {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(formatObjName(t))
		}
	case *CreateTableStmt:
		if x.Source {
			sb.WriteString("CREATE SOURCE ")
		} else {
			sb.WriteString("CREATE TABLE ")
		}
		if x.IfNotExists {
			sb.WriteString("IF NOT EXISTS ")
		}
		sb.WriteString(formatObjName(x.Name))
		var elems []string
		for _, c := range x.Columns {
			var e strings.Builder
			writeColumnDef(&e, c)
			elems = append(elems, e.String())
		}
		if len(x.PrimaryKey) > 0 {
			elems = append(elems, "PRIMARY KEY ("+formatIdents(x.PrimaryKey)+")")
		}
		for _, u := range x.Unique {
			elems = append(elems, "UNIQUE ("+formatIdents(u)+")")
		}
		if w := x.Watermark; w != nil {
			elems = append(elems, "WATERMARK FOR "+formatIdent(w.Column)+" AS "+FormatExpr(w.Expr))
		}
		if len(elems) > 0 || x.AsQuery == nil {
			sb.WriteString(" (" + strings.Join(elems, ", ") + ")")
		}
		if len(x.With) > 0 {
			sb.WriteString(" WITH ")
			writeOptions(sb, x.With)
		}
		if x.AsQuery != nil {
			sb.WriteString(" AS ")
			writeQuery(sb, x.AsQuery)
		}
	case *DropStmt:
		sb.WriteString("DROP " + objectKinds[x.Kind] + " ")
		if x.IfExists {
			sb.WriteString("IF EXISTS ")
		}
		for i, n := range x.Names {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(formatObjName(n))
		}
		if x.Cascade {
			sb.WriteString(" CASCADE")
		}
	case *CreateSchemaStmt:
		sb.WriteString("CREATE SCHEMA ")
		if x.IfNotExists {
			sb.WriteString("IF NOT EXISTS ")
		}
		sb.WriteString(formatIdent(x.Name))
	case *CreateViewStmt:
		sb.WriteString("CREATE ")
		if x.OrReplace {
			sb.WriteString("OR REPLACE ")
		}
		if x.Materialized {
			sb.WriteString("MATERIALIZED ")
		}
		sb.WriteString("VIEW ")
		if x.IfNotExists {
			sb.WriteString("IF NOT EXISTS ")
		}
		sb.WriteString(formatObjName(x.Name))
		if len(x.Columns) > 0 {
			sb.WriteString(" (" + formatIdents(x.Columns) + ")")
		}
		if len(x.With) > 0 {
			sb.WriteString(" WITH ")
			writeOptions(sb, x.With)
		}
		sb.WriteString(" AS ")
		writeQuery(sb, x.Query)
		if x.EmitOnWindowClose {
			sb.WriteString(" EMIT ON WINDOW CLOSE")
		}
		if x.FromSavepoint != "" {
			sb.WriteString(" FROM SAVEPOINT " + formatIdent(x.FromSavepoint))
		}
	case *AlterTableStmt:
		sb.WriteString("ALTER TABLE ")
		if x.IfExists {
			sb.WriteString("IF EXISTS ")
		}
		sb.WriteString(formatObjName(x.Name) + " ")
		for i, c := range x.Cmds {
			if i > 0 {
				sb.WriteString(", ")
			}
			writeAlterCmd(sb, c)
		}
	default:
		writeUtilityStmt(sb, s)
	}
}

func writeAlterCmd(sb *strings.Builder, c AlterTableCmd) {
	switch x := c.(type) {
	case *AddColumn:
		sb.WriteString("ADD COLUMN ")
		if x.IfNotExists {
			sb.WriteString("IF NOT EXISTS ")
		}
		writeColumnDef(sb, x.Def)
	case *DropColumn:
		sb.WriteString("DROP COLUMN ")
		if x.IfExists {
			sb.WriteString("IF EXISTS ")
		}
		sb.WriteString(formatIdent(x.Name))
		if x.Cascade {
			sb.WriteString(" CASCADE")
		}
	case *RenameColumn:
		sb.WriteString("RENAME COLUMN " + formatIdent(x.Old) + " TO " + formatIdent(x.New))
	case *RenameTable:
		sb.WriteString("RENAME TO " + formatIdent(x.New))
	case *AlterColumnDefault:
		sb.WriteString("ALTER COLUMN " + formatIdent(x.Column))
		if x.Default != nil {
			sb.WriteString(" SET DEFAULT ")
			writeExpr(sb, x.Default)
		} else {
			sb.WriteString(" DROP DEFAULT")
		}
	case *AlterColumnNotNull:
		sb.WriteString("ALTER COLUMN " + formatIdent(x.Column))
		if x.NotNull {
			sb.WriteString(" SET NOT NULL")
		} else {
			sb.WriteString(" DROP NOT NULL")
		}
	}
}

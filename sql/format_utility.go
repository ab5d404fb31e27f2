package sql

import (
	"strings"
)

// simpleWord reports whether s is a lower-case word that reads back as itself where any word is
// accepted (setting names and values), even a reserved one.
func simpleWord(s string) bool {
	if s == "" || s == "true" || s == "false" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz_0123456789") == ""
}

// writeSetting prints a possibly dotted setting name.
func writeSetting(sb *strings.Builder, name string) {
	for i, p := range strings.Split(name, ".") {
		if i > 0 {
			sb.WriteByte('.')
		}
		if simpleWord(p) {
			sb.WriteString(p)
		} else {
			sb.WriteString(formatIdent(p))
		}
	}
}

func writeUtilityStmt(sb *strings.Builder, s Statement) {
	switch x := s.(type) {
	case *BeginStmt:
		sb.WriteString("BEGIN")
		var modes []string
		if x.Isolation != "" {
			modes = append(modes, "ISOLATION LEVEL "+strings.ToUpper(x.Isolation))
		}
		if x.ReadOnly {
			modes = append(modes, "READ ONLY")
		}
		if len(modes) > 0 {
			sb.WriteString(" " + strings.Join(modes, ", "))
		}
	case *CommitStmt:
		sb.WriteString("COMMIT")
	case *RollbackStmt:
		sb.WriteString("ROLLBACK")
	case *SavepointStmt:
		sb.WriteString("SAVEPOINT " + formatIdent(x.Name))
		if len(x.With) > 0 {
			sb.WriteString(" WITH ")
			writeOptions(sb, x.With)
		}
	case *RollbackToSavepointStmt:
		sb.WriteString("ROLLBACK TO SAVEPOINT " + formatIdent(x.Name))
	case *ReleaseSavepointStmt:
		sb.WriteString("RELEASE SAVEPOINT " + formatIdent(x.Name))
	case *AlterPauseStmt:
		sb.WriteString("ALTER " + strings.ToUpper(x.Kind))
		if x.Kind != "system" {
			if x.IfExists {
				sb.WriteString(" IF EXISTS")
			}
			sb.WriteString(" " + formatObjName(x.Name))
		}
		if x.Pause {
			sb.WriteString(" PAUSE")
			if x.Savepoint != "" {
				sb.WriteString(" WITH SAVEPOINT " + formatIdent(x.Savepoint))
			}
		} else {
			sb.WriteString(" RESUME")
		}
	case *ExportSavepointStmt:
		sb.WriteString("EXPORT SAVEPOINT " + formatIdent(x.Name) + " TO " + formatString(x.Path))
	case *ImportSavepointStmt:
		sb.WriteString("IMPORT SAVEPOINT " + formatIdent(x.Name) + " FROM " + formatString(x.Path))
	case *SetStmt:
		sb.WriteString("SET ")
		if x.Local {
			sb.WriteString("LOCAL ")
		}
		writeSetting(sb, x.Name)
		if x.Default {
			sb.WriteString(" TO DEFAULT")
			return
		}
		sb.WriteString(" TO ")
		for i, v := range x.Values {
			if i > 0 {
				sb.WriteString(", ")
			}
			writeSetValue(sb, v)
		}
	case *AlterClusterStmt:
		switch x.Op {
		case "add":
			sb.WriteString("ALTER CLUSTER ADD NODE " + formatString(x.Node) + " " + formatString(x.Addr))
		case "remove":
			sb.WriteString("ALTER CLUSTER REMOVE NODE " + formatString(x.Node))
		default:
			sb.WriteString("ALTER CLUSTER TRANSFER LEADERSHIP TO " + formatString(x.Node))
		}
	case *AlterSystemStmt:
		switch {
		case x.Reset && x.Name == "all":
			sb.WriteString("ALTER SYSTEM RESET ALL")
		case x.Reset:
			sb.WriteString("ALTER SYSTEM RESET ")
			writeSetting(sb, x.Name)
		default:
			sb.WriteString("ALTER SYSTEM SET ")
			writeSetting(sb, x.Name)
			sb.WriteString(" TO ")
			writeSetValue(sb, x.Value)
		}
	case *ShowStmt:
		sb.WriteString("SHOW ")
		switch {
		case x.Name == "tables" && x.From != "":
			sb.WriteString("TABLES FROM " + formatIdent(x.From))
		case x.Name == "timezone":
			sb.WriteString("TIME ZONE")
		case x.Name == "transaction_isolation":
			sb.WriteString("TRANSACTION ISOLATION LEVEL")
		case strings.Contains(x.Name, " "):
			sb.WriteString(strings.ToUpper(x.Name))
		default:
			writeSetting(sb, x.Name)
		}
	case *ResetStmt:
		sb.WriteString("RESET ")
		if x.Name == "all" {
			sb.WriteString("ALL")
		} else {
			writeSetting(sb, x.Name)
		}
	case *ExplainStmt:
		sb.WriteString("EXPLAIN ")
		if x.Analyze {
			sb.WriteString("ANALYZE ")
		}
		if x.Verbose {
			sb.WriteString("VERBOSE ")
		}
		writeStmt(sb, x.Stmt)
	case *DeallocateStmt:
		if x.Name == "" {
			sb.WriteString("DEALLOCATE ALL")
		} else {
			sb.WriteString("DEALLOCATE " + formatIdent(x.Name))
		}
	case *DiscardStmt:
		sb.WriteString("DISCARD " + strings.ToUpper(x.What))
	case *FlushStmt:
		sb.WriteString("FLUSH")
	case *PrepareStmt:
		sb.WriteString("PREPARE " + formatIdent(x.Name))
		if len(x.Types) > 0 {
			ts := make([]string, len(x.Types))
			for i, t := range x.Types {
				ts[i] = formatType(t)
			}
			sb.WriteString(" (" + strings.Join(ts, ", ") + ")")
		}
		sb.WriteString(" AS ")
		writeStmt(sb, x.Stmt)
	case *ExecuteStmt:
		sb.WriteString("EXECUTE " + formatIdent(x.Name))
		if len(x.Params) > 0 {
			sb.WriteString(" (")
			writeExprList(sb, x.Params)
			sb.WriteByte(')')
		}
	case *EmptyStmt:
	}
}

// writeSetValue writes one value of SET or ALTER SYSTEM SET.
func writeSetValue(sb *strings.Builder, v Expr) {
	if c, ok := v.(*ColumnRef); ok && len(c.Parts) == 1 {
		// A bare word value (SET x TO on); any word, even a reserved one, reads back.
		w := c.Parts[0]
		if simpleWord(w) && w != "default" {
			sb.WriteString(w)
		} else {
			sb.WriteString(formatIdent(w))
		}
		return
	}
	writeExpr(sb, v)
}

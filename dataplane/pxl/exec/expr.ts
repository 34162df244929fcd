// Plan expressions → evaluators over a batch. Function overloads are resolved once, when the
// operator is built; a literal stays a constant (never broadcast) until an operator outputs it.
import type { Expr, SourceSpan } from '../plan.js';
import type { RowBatch } from '../../table-store/types.js';
import type { UdfContext } from '../udf/context.js';
import { scalarImpl } from '../udf/registry.js';
import { scalar, type Value } from '../udf/values.js';
import { asExecError, ExecError } from './errors.js';

export type Evaluator = (batch: RowBatch) => Value;

export function compileExpr(expr: Expr, ctx: UdfContext, at: SourceSpan | undefined): Evaluator {
  switch (expr.kind) {
    case 'column': {
      const index = expr.index;
      return (b) => {
        const col = b.columns[index];
        if (!col) throw new ExecError('bad_plan', `column ${index} ('${expr.name}') is not in the input`, at);
        return col;
      };
    }
    case 'literal': {
      const c = scalar(expr.type, expr.value);
      return () => c;
    }
    case 'call': {
      const where = expr.at ?? at;
      const args = expr.args.map((a) => compileExpr(a, ctx, where));
      const types = expr.args.map((a) => a.type);
      const impl = scalarImpl(expr.fn, types);
      if (!impl) throw new ExecError('bad_plan', `no implementation of ${expr.fn}(${types.join(', ')})`, where);
      if (impl.returns !== expr.type) {
        throw new ExecError('bad_plan', `${expr.fn}(${types.join(', ')}) returns ${impl.returns}, the plan expects ${expr.type}`, where);
      }
      const fn = impl.fn;
      return (b) => {
        const values = args.map((a) => a(b));
        try {
          return fn(values, b.length, ctx);
        } catch (e) {
          throw asExecError(e, where);
        }
      };
    }
  }
}

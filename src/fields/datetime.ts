/** `DatetimeField()`: a plain datetime field that can stamp the current instant on save. */
import {
  FieldDef,
  makeSpec,
  type CommonOptions,
  type FactoryConfig,
  type OptionTable,
  type ValueChecks,
} from "./field.js";

/** Options of `DatetimeField()`. */
export interface DatetimeOptions<TNull extends boolean>
  extends CommonOptions<Date, TNull>, ValueChecks<"datetime"> {
  /** Set to the current instant on every save. */
  readonly autoNow?: boolean | undefined;
  /** Set to the current instant on save when empty. */
  readonly autoNowAdd?: boolean | undefined;
}

const DATETIME_OPTIONS = {
  null: true,
  default: true,
  maxLength: true,
  autoNow: true,
  autoNowAdd: true,
  min: true,
  max: true,
  validate: true,
} as const satisfies Omit<OptionTable<DatetimeOptions<boolean>>, "pattern" | "choices">; // both `never` for a datetime

type AutoStamped<TOptions> = TOptions extends { readonly autoNow: true }
  ? true
  : TOptions extends { readonly autoNowAdd: true }
    ? true
    : false;

/**
 * `Field({ type: "datetime" })` with Popoto's `autoNow` / `autoNowAdd`.
 * @example createdAt: DatetimeField({ autoNowAdd: true })
 */
export function DatetimeField<
  const TNull extends boolean = false,
  const TOptions extends DatetimeOptions<TNull> = DatetimeOptions<TNull>,
>(
  options?: TOptions & DatetimeOptions<TNull>,
): FieldDef<FactoryConfig<"plain", "datetime", TOptions, AutoStamped<TOptions>>> {
  return new FieldDef(
    makeSpec({
      kind: "plain",
      type: "datetime",
      factory: "DatetimeField",
      accepts: DATETIME_OPTIONS,
      options,
    }),
  );
}

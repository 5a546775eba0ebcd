/**
 * The layout a maintenance tool walks (check, clean, rebuild, migrate, export): a sharded model's
 * stored layout, which after a reshard may differ from the declared `shards`; refused while a
 * reshard moves the model, since its instances are then between two layouts.
 */
import { ReshardInProgressError } from "../errors.js";
import { declaredModel, layoutRecordKey, layoutView } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { refreshLayout } from "./layout.js";
import { isMoving } from "./layout-record.js";

/** The model as stored (a layout view when the stored count differs); unsharded models as they are. */
export async function storedLayoutOf(meta: ModelMeta, tool: string): Promise<ModelMeta> {
  if (meta.shards <= 1 || meta.bucket !== undefined) return meta;
  const declared = declaredModel(meta);
  // Read again, not from memory: a reshard may have started or ended since this process looked.
  const layout = await refreshLayout(declared);
  if (isMoving(layout))
    throw new ReshardInProgressError(declared.name, layoutRecordKey(declared), layout.count, layout.to, tool);
  return layoutView(declared, layout.count);
}

/* values.h - converting between tagged sl_val and untagged stack slots. */
#ifndef SL_VALUES_H
#define SL_VALUES_H

#include "sluice.h"

sl_slot sl_val_to_slot(const sl_val *v);
sl_val sl_slot_to_val(sl_slot s, uint8_t type);

#endif

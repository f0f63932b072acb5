import { Initial1764000000000 } from './1764000000000-Initial';
import { TryTransform1764000000001 } from './1764000000001-TryTransform';
import { BoundaryPieces1764000000002 } from './1764000000002-BoundaryPieces';
import { ChunkResults1764000000003 } from './1764000000003-ChunkResults';
import { InteriorGrids1764000000004 } from './1764000000004-InteriorGrids';
import { PackedChunkResults1764000000005 } from './1764000000005-PackedChunkResults';
import { SmallerBoundaryPieces1764000000006 } from './1764000000006-SmallerBoundaryPieces';
import { GeocodePointsFunction1764000000007 } from './1764000000007-GeocodePointsFunction';
import { SpheroidDistances1764000000008 } from './1764000000008-SpheroidDistances';
import { SparseChunkNotes1764000000009 } from './1764000000009-SparseChunkNotes';
import { GeocodePointsOneQuery1764000000010 } from './1764000000010-GeocodePointsOneQuery';
import { GeocodePointsCandidates1764000000011 } from './1764000000011-GeocodePointsCandidates';
import { ConversionErrorCode1764000000014 } from './1764000000014-ConversionErrorCode';
import { OwnersAndRetention1764000000015 } from './1764000000015-OwnersAndRetention';
import { ConversionSummaries1764000000016 } from './1764000000016-ConversionSummaries';
import { StorageKeys1764000000017 } from './1764000000017-StorageKeys';
import { DatedBoundarySets1764000000018 } from './1764000000018-DatedBoundarySets';
import { RepairTransformedBoundaries1764000000022 } from './1764000000022-RepairTransformedBoundaries';
import { GeocodePointsMidLevel1764000000023 } from './1764000000023-GeocodePointsMidLevel';

/** Listed explicitly (not globbed) so the same list works under tsx, a bundler or compiled output. */
export const migrations = [
  Initial1764000000000,
  TryTransform1764000000001,
  BoundaryPieces1764000000002,
  ChunkResults1764000000003,
  InteriorGrids1764000000004,
  PackedChunkResults1764000000005,
  SmallerBoundaryPieces1764000000006,
  GeocodePointsFunction1764000000007,
  SpheroidDistances1764000000008,
  SparseChunkNotes1764000000009,
  GeocodePointsOneQuery1764000000010,
  GeocodePointsCandidates1764000000011,
  ConversionErrorCode1764000000014,
  OwnersAndRetention1764000000015,
  ConversionSummaries1764000000016,
  StorageKeys1764000000017,
  DatedBoundarySets1764000000018,
  RepairTransformedBoundaries1764000000022,
  GeocodePointsMidLevel1764000000023,
];

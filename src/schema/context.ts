import type { DownloadLinks } from '../auth/download-links';
import type { Viewer } from '../auth/viewer';
import type { BoundarySetService } from '../boundaries/set-service';
import type { ConversionService } from '../conversion/conversion-service';
import type { ConversionSummaryService } from '../conversion/summary-service';
import type { ReverseGeocodeService } from '../geocode/reverse-geocode-service';
import type { PreviewService } from '../preview/preview-service';

export interface Services {
  conversions: ConversionService;
  /** Counts by region and problem rows of a conversion. */
  summaries: ConversionSummaryService;
  boundarySets: BoundarySetService;
  reverseGeocode: ReverseGeocodeService;
  preview: PreviewService;
  /** Signs the downloadUrl handed out with each conversion. */
  downloadLinks: DownloadLinks;
  /** MAX_UPLOAD_MB in bytes, for the error an oversized upload gets. */
  maxUploadBytes: number;
}

/** What every resolver receives: the services, the base URL download links are built on, and who asks. */
export interface Context {
  services: Services;
  baseUrl: string;
  viewer: Viewer;
}

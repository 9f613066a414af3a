//===- Translations.h - crosspipe-translate registrations -------*- C++ -*-===//
//
// The translations between crosspipe IR and the outside world: JSON
// experiment descriptions in, Chrome traces and C++ out, PyTorch schedule
// CSVs both ways.
//
//===----------------------------------------------------------------------===//

#ifndef CROSSPIPE_TARGET_TRANSLATIONS_H
#define CROSSPIPE_TARGET_TRANSLATIONS_H

namespace crosspipe {

/// --import-json: JSON experiment description -> cluster + pipeline.
void registerImportJsonTranslation();
/// --export-chrome-trace: simulated schedule -> Chrome trace JSON.
void registerExportChromeTraceTranslation();

/// --schedule-report: a Markdown table comparing the module's schedules.
void registerScheduleReportTranslation();
/// --export-svg: simulated schedule(s) -> SVG timeline picture.
void registerExportSvgTranslation();
/// --mlir-to-cpp: a module lowered to EmitC -> C++.
void registerTranslateToCppTranslation();
/// --export-torch-schedule / --import-torch-schedule: schedules as
/// torch.distributed.pipelining CSVs, both ways.
void registerTorchScheduleTranslations();

/// --export-plan: the proven execution plan -> plan file (Runtime/Plan.h).
/// In its own library, CrossPipeExportPlan, which links the runtime's plan
/// file library (crosspipe_plan_io); registerTranslations() leaves it out.
void registerExportPlanTranslation();

inline void registerTranslations() {
  registerImportJsonTranslation();
  registerExportChromeTraceTranslation();
  registerScheduleReportTranslation();
  registerExportSvgTranslation();
  registerTranslateToCppTranslation();
  registerTorchScheduleTranslations();
}

} // namespace crosspipe

#endif // CROSSPIPE_TARGET_TRANSLATIONS_H

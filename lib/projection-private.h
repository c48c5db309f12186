/* projection-private.h - what the projection modules share with the
 * renderers; never installed. */
#ifndef WFS_PROJECTION_PRIVATE_H
#define WFS_PROJECTION_PRIVATE_H

/* Include after wfs-private.h (for wfs_buf). */

/* Render a projection result (layout WFS_LAYOUT_PROJECTION) as text or
 * Markdown: a year-by-role headcount table, the all-roles flows with their
 * simulated range, the fan chart when the result asks for one, footers and
 * notes (render_projection.c). */
int wfs_render_projection(wfs_buf *b, const wfs_result *r, const wfs_render_options *opt,
                          int markdown);

#endif /* WFS_PROJECTION_PRIVATE_H */

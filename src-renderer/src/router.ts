import { createRouter, createWebHashHistory } from 'vue-router';

// Hash history: works the same from file:// in Electron and from serve's one HTML file.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/train' },
    { path: '/data', name: 'data', component: () => import('./features/data/DataScreen.vue'), meta: { title: 'Data' } },
    { path: '/model', name: 'model', component: () => import('./features/model/ModelScreen.vue'), meta: { title: 'Model' } },
    { path: '/train', name: 'train', component: () => import('./features/train/TrainScreen.vue'), meta: { title: 'Train' } },
    { path: '/compare', name: 'compare', component: () => import('./features/compare/CompareScreen.vue'), meta: { title: 'Compare' } },
    { path: '/runs', name: 'runs', component: () => import('./features/runs/RunsScreen.vue'), meta: { title: 'Runs' } },
    { path: '/inspect/:runId?', name: 'inspect', component: () => import('./features/inspect/InspectScreen.vue'), meta: { title: 'Inspect' } },
  ],
});
